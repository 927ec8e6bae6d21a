import { createHash } from 'node:crypto';
import type { TenantRecord } from '../domain/tenant-record.ts';

/**
 * Labels that let one label-selected list find a tenant by a value only its annotations hold
 * (a Stripe id, a custom domain), instead of a walk over every namespace. A label value is at most
 * 63 characters of [A-Za-z0-9._-], which a host or a Stripe id need not fit, so each carries a hash;
 * callers still compare the annotation itself, so a collision could only cost a wasted read.
 */
export const TENANT_INDEX_LABELS = {
  stripeCustomerId: 'tenant-provisioner.io/stripe-customer-hash',
  stripeSubscriptionId: 'tenant-provisioner.io/stripe-subscription-hash',
  customDomain: 'tenant-provisioner.io/custom-domain-hash',
} as const;
export type TenantIndex = keyof typeof TENANT_INDEX_LABELS;

/**
 * Marks a namespace whose index labels were all written by this scheme. A namespace without it
 * (made before the index) is still found: findBy also lists the unmarked ones and compares their
 * annotations, until the reconcile sweep's backfill has marked them all and that list is empty.
 */
export const INDEXED_LABEL = 'tenant-provisioner.io/indexed';
export const INDEX_VERSION = 'v1';

/** The indexed values of a tenant; a null or empty value has no label. */
export type IndexedValues = { [K in TenantIndex]?: string | null };

/** Hosts are case-insensitive; Stripe ids are not. */
export function indexValue(index: TenantIndex, value: string): string {
  return createHash('sha256')
    .update(index === 'customDomain' ? value.toLowerCase() : value)
    .digest('hex')
    .slice(0, 40);
}

/** The index labels for `values`: a hash per value given, null (a merge patch's "remove") per value cleared. */
export function indexLabels(values: IndexedValues): Record<string, string | null> {
  const labels: Record<string, string | null> = {};
  for (const index of Object.keys(TENANT_INDEX_LABELS) as TenantIndex[]) {
    if (!(index in values)) continue;
    const value = values[index];
    labels[TENANT_INDEX_LABELS[index]] = value ? indexValue(index, value) : null;
  }
  return labels;
}

/** The label selector term that finds tenants indexed under `value`. */
export const indexSelector = (index: TenantIndex, value: string) => `${TENANT_INDEX_LABELS[index]}=${indexValue(index, value)}`;

/** Every index label of a tenant with these values, and the mark that says so: what a namespace is created with and backfilled to. */
export function fullIndexLabels(values: IndexedValues): Record<string, string | null> {
  return { ...indexLabels({ stripeCustomerId: null, stripeSubscriptionId: null, customDomain: null, ...values }), [INDEXED_LABEL]: INDEX_VERSION };
}

/** The values a tenant is found by (tenant-index.ts); the custom domain is the one it asks for. */
export const indexedValuesOf = (
  t: Pick<TenantRecord, 'stripeCustomerId' | 'stripeSubscriptionId' | 'customDomain'> & { desired: Pick<TenantRecord['desired'], 'customDomain'> },
) => ({
  stripeCustomerId: t.stripeCustomerId,
  stripeSubscriptionId: t.stripeSubscriptionId,
  customDomain: t.desired.customDomain ?? t.customDomain,
});

/** Whether `tenant` is indexed under `value`: what a label-selected list by `indexSelector` finds. */
export function indexedUnder(tenant: Parameters<typeof indexedValuesOf>[0], index: TenantIndex, value: string): boolean {
  const own = indexedValuesOf(tenant)[index];
  return own ? indexValue(index, own) === indexValue(index, value) : false;
}
