import { z } from '@hono/zod-openapi';
import { CustomDomain } from './custom-domain.ts';
import { ResourceOverrides } from './resource-overrides.ts';
import { TenantId } from './tenant-id.ts';
import { TierName } from './tiers.ts';

// Names end up in namespace annotations, logs and emails: one line of printable text, never option-like.
const personText = (max: number, example: string) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .refine((text) => !text.startsWith('-'), 'must not start with "-"')
    .openapi({ example });

const stripeId = (prefix: string, example: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9]{1,250}$`), `must be a Stripe id starting with ${prefix}_`)
    .openapi({ example });

/** Body of `POST /api/provisioning/provision` (and `validate`). Unknown keys are rejected, not ignored. */
export const ProvisionRequest = z
  .strictObject({
    companyName: personText(100, 'Acme Auto Repair'),
    ownerEmail: z.email().max(254).openapi({ example: 'owner@acmeauto.com' }),
    ownerFirstName: personText(100, 'Ada'),
    ownerLastName: personText(100, 'Lovelace'),
    subscriptionTier: TierName.openapi({ example: 'professional' }),
    tenantId: TenantId.optional(),
    customDomain: CustomDomain.optional(),
    stripeCustomerId: stripeId('cus', 'cus_NffrFeUfNV2Hib').optional(),
    stripeSubscriptionId: stripeId('sub', 'sub_1MowQVLkdIwHu7ixeRlqHVzs').optional(),
    resourceOverrides: ResourceOverrides.optional(),
  })
  .openapi('ProvisionRequest');
export type ProvisionRequest = z.infer<typeof ProvisionRequest>;

/** Body of a tenant update: change tier, set or remove (`null`) the custom domain, adjust resources. */
export const UpdateRequest = z
  .strictObject({
    subscriptionTier: TierName.optional().openapi({ example: 'enterprise' }),
    customDomain: CustomDomain.nullable().optional().openapi({ description: 'null removes the custom domain' }),
    resourceOverrides: ResourceOverrides.optional(),
  })
  .refine((update) => Object.keys(update).length > 0, 'must change at least one of subscriptionTier, customDomain or resourceOverrides')
  .openapi('UpdateRequest');
export type UpdateRequest = z.infer<typeof UpdateRequest>;
