import { z } from 'zod';
import { fieldErrorsFrom, type FieldError } from '../domain/field-error.ts';
import { ProvisionRequest } from '../domain/provision-request.ts';
import type { TierName } from '../domain/tiers.ts';

/** Metadata keys a signup flow sets on the Stripe customer (or the subscription) to describe the tenant. */
export const PROFILE_METADATA = {
  companyName: 'company_name',
  ownerEmail: 'owner_email',
  ownerFirstName: 'owner_first_name',
  ownerLastName: 'owner_last_name',
  tenantId: 'tenant_id',
} as const;

/** A provision request as billing makes one: always carrying both Stripe ids. */
export type BillingProvisionInput = ProvisionRequest & { stripeCustomerId: string; stripeSubscriptionId: string };

const StripeCustomer = z.object({
  object: z.literal('customer'),
  id: z.string(),
  deleted: z.literal(true).optional(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

/**
 * The provision request for a new paid subscription. Customer metadata wins, then the subscription's
 * metadata, then the customer's own name and email (its first word is the owner's first name, the
 * rest the last name). Nothing is invented: a missing field is reported, not filled in. The result
 * passes the same schema as `POST /api/provisioning/provision`.
 */
export function provisionInputFrom(
  customer: unknown,
  subscriptionMetadata: Readonly<Record<string, string>>,
  subscription: { tier: TierName; customerId: string; subscriptionId: string },
): { input: BillingProvisionInput } | { errors: FieldError[] } {
  const parsed = StripeCustomer.safeParse(customer ?? { object: 'customer', id: subscription.customerId });
  if (!parsed.success) return { errors: [{ path: 'customer', message: 'is not a Stripe customer' }] };
  if (parsed.data.deleted) return { errors: [{ path: 'customer', message: 'is deleted' }] };
  const meta = { ...subscriptionMetadata, ...(parsed.data.metadata ?? {}) };
  const pick = (key: keyof typeof PROFILE_METADATA) => nonEmpty(meta[PROFILE_METADATA[key]]);
  const [first, ...rest] = (parsed.data.name ?? '').trim().split(/\s+/);
  const nameParts = { first: nonEmpty(first), last: nonEmpty(rest.join(' ')) };

  const candidate = {
    companyName: pick('companyName') ?? nonEmpty(parsed.data.name),
    ownerEmail: pick('ownerEmail') ?? nonEmpty(parsed.data.email),
    ownerFirstName: pick('ownerFirstName') ?? nameParts.first,
    ownerLastName: pick('ownerLastName') ?? nameParts.last,
    subscriptionTier: subscription.tier,
    stripeCustomerId: subscription.customerId,
    stripeSubscriptionId: subscription.subscriptionId,
    ...(pick('tenantId') ? { tenantId: pick('tenantId') } : {}),
  };
  const result = ProvisionRequest.safeParse(candidate);
  if (!result.success) return { errors: fieldErrorsFrom(result.error) };
  return { input: { ...result.data, stripeCustomerId: subscription.customerId, stripeSubscriptionId: subscription.subscriptionId } };
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value.trim() === '' ? undefined : value;
}
