import { z } from '@hono/zod-openapi';
import { BackupId } from './database-generation.ts';
import { CustomDomain, customDomainJsonSchema, customDomainRule } from './custom-domain.ts';
import { ImageRef } from './image.ts';
import { ParameterName, ParameterValue } from './postgres-parameters.ts';
import { ResourceOverrides } from './resource-overrides.ts';
import { ChartVersion } from './tenant-version.ts';
import { TenantId } from './tenant-id.ts';
import { LABEL_RULES, TenantLabels } from './tenant-labels.ts';
import { TierName } from './tiers.ts';

// Names end up in namespace annotations, logs and emails: one line of printable text, never option-like.
// Control characters (C0, DEL, C1) are written as ranges, not \p{Cc}: a `u`-flag regex leaks into the
// OpenAPI document as a pattern no JSON Schema validator can use.
const NO_CONTROL_CHARACTERS = /^[^\x00-\x1f\x7f-\x9f]*$/;
// What String.prototype.trim removes, less the control characters the pattern refuses anyway.
const SPACE = ' \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/**
 * The documented pattern of a name: every check below in one JSON Schema regex (no flags), so that
 * the document accepts exactly what the server does: optional surrounding space, then a first
 * character that is neither space nor `-`, and no control character anywhere.
 */
export const PERSON_TEXT_PATTERN = `^[${SPACE}]*[^${SPACE}\\x00-\\x1f\\x7f-\\x9f-][^\\x00-\\x1f\\x7f-\\x9f]*$`;
const personText = (max: number, example: string) =>
  z
    .string()
    // Bounds the text as sent (before the trim), as the document's maxLength says.
    .max(max, `must be at most ${max} characters`)
    .regex(NO_CONTROL_CHARACTERS, 'must not contain control characters')
    .trim()
    .min(1, 'must not be empty')
    .refine((text) => !text.startsWith('-'), 'must not start with "-"')
    .openapi({ example, pattern: PERSON_TEXT_PATTERN });

const OWNER_EMAIL = new RegExp(`^(?=[^@]{1,64}@)${z.regexes.email.source.slice(1)}`);

const stripeId = (prefix: string, example: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9]{1,250}$`), `must be a Stripe id starting with ${prefix}_`)
    .openapi({ example });

/**
 * A new tenant whose database starts as a copy of another's: from one of its completed backups, a
 * point in time, or (neither) its newest completed backup. Nothing of the source is written.
 */
export const CloneFrom = z
  .union([
    z.strictObject({ tenantId: TenantId }),
    z.strictObject({ tenantId: TenantId, backupId: BackupId }),
    z.strictObject({ tenantId: TenantId, targetTime: z.iso.datetime({ offset: true }).openapi({ example: '2026-12-04T10:15:00Z' }) }),
  ])
  .openapi('CloneFrom', {
    description:
      "The tenant (often a template, GET /api/templates) whose database the new tenant's starts from: its backup backupId, its state at targetTime, or its newest completed backup. The clone gets its own Secrets; the source is only read.",
  });
export type CloneFrom = z.infer<typeof CloneFrom>;

/** Body of `POST /api/provisioning/provision` (and `validate`). Unknown keys are rejected, not ignored. */
export const ProvisionRequest = z
  .strictObject({
    companyName: personText(100, 'Acme Auto Repair'),
    // zod's own email regex, stated in the document (`format: email` alone admits addresses zod
    // refuses), with the local part bounded to 64 characters as RFC 5321 and `format: email`
    // checkers bound it: Schemathesis sent a 103-character one that the API accepted.
    ownerEmail: z.email({ pattern: OWNER_EMAIL }).max(254).openapi({ example: 'owner@acmeauto.com', pattern: OWNER_EMAIL.source }),
    ownerFirstName: personText(100, 'Ada'),
    ownerLastName: personText(100, 'Lovelace'),
    subscriptionTier: TierName.openapi({ example: 'professional' }),
    tenantId: TenantId.optional(),
    customDomain: CustomDomain.optional(),
    stripeCustomerId: stripeId('cus', 'cus_NffrFeUfNV2Hib').optional(),
    stripeSubscriptionId: stripeId('sub', 'sub_1MowQVLkdIwHu7ixeRlqHVzs').optional(),
    resourceOverrides: ResourceOverrides.optional(),
    labels: TenantLabels.optional().openapi({
      description: `The tenant's own labels, to list tenants and select rollouts by; absent: none. Stored on its namespace (see the README). ${LABEL_RULES}`,
    }),
    cloneFrom: CloneFrom.optional(),
  })
  .openapi('ProvisionRequest');
export type ProvisionRequest = z.infer<typeof ProvisionRequest>;

/** A tenant's own PostgreSQL settings in an update: a value sets one, null goes back to the tier's (or PostgreSQL's) default. */
const ParameterChanges = z.record(ParameterName, ParameterValue.nullable()).openapi({ example: { max_connections: '150', work_mem: null } });

const UPDATE_FIELDS = {
  subscriptionTier: TierName.optional().openapi({ example: 'enterprise' }),
  customDomain: CustomDomain.nullable().optional().openapi({ description: 'null removes the custom domain' }),
  resourceOverrides: ResourceOverrides.optional(),
  appVersion: ImageRef.shape.tag.optional().openapi({
    example: '2026.12.1',
    description:
      'The application release to run: this tag of the configured API, Web and migrations images. On a running tenant it is a blue-green switch: the new slot is deployed and migrated beside the serving one and takes the traffic only once ready.',
  }),
  postgresql: z.strictObject({ parameters: ParameterChanges }).optional().openapi({
    description:
      "PostgreSQL settings of this tenant, over its tier's. Only allowlisted settings within the tier's bounds (memory-sized ones follow its memory limit); settings CloudNativePG fixes are refused by name. Applied through the converge path: CloudNativePG reloads, or restarts the instances for settings that need it.",
  }),
  chartVersion: ChartVersion.optional().openapi({
    example: '0.2.0',
    description:
      'The tenant chart version to install: the configured chart when it is that version, else the packaged archive of it (platform.chart.archiveDir) or, for a registry chart, that version from the registry. With an appVersion it goes with the new release (a switch given up goes back to the serving chart); alone it is an upgrade in place.',
  }),
  labels: TenantLabels.optional().openapi({
    description: `The tenant's labels: replaces the whole set, like resourceOverrides (send {} to remove them all). Labels are namespace metadata, recorded at once: an update of labels alone answers 204 and queues no job; with other fields they are recorded with the update's intent. ${LABEL_RULES}`,
  }),
};
const SOME_CHANGE = 'must change at least one of subscriptionTier, customDomain, resourceOverrides, appVersion, chartVersion or labels';

/** Body of a tenant update: change tier, set or remove (`null`) the custom domain, adjust resources, ship a release. */
export const UpdateRequest = z
  .strictObject(UPDATE_FIELDS)
  .refine((update) => Object.keys(update).length > 0, SOME_CHANGE)
  .openapi('UpdateRequest', { minProperties: 1 });
export type UpdateRequest = z.infer<typeof UpdateRequest>;

/**
 * The update body with the platform's custom-domain rule (`customDomainRule(baseDomain)`), for the
 * route that knows the base domain. A fresh object registered under the same name, so that its
 * document states the rule and the non-empty body as JSON Schema (a refinement of the registered
 * schema would be documented as the bare `$ref`).
 */
export function updateRequestSchema(baseDomain: string) {
  return z
    .strictObject(UPDATE_FIELDS)
    .refine((update) => Object.keys(update).length > 0, SOME_CHANGE)
    .superRefine(customDomainRule(baseDomain))
    .openapi('UpdateRequest', {
      description: `A change to a tenant: at least one field; customDomain must not be ${baseDomain} or under it`,
      minProperties: 1,
      ...customDomainJsonSchema(baseDomain),
    });
}
