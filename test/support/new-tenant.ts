import type { NewTenant } from '../../src/domain/tenant-record.ts';
import type { TierName } from '../../src/domain/tiers.ts';

/**
 * A tenant intent as the intake records it (queued provision), for tests that write the registry
 * directly. `overrides` replaces any field; `tier` and `customDomain` also set the desired state.
 */
export function newTenant(tenantId: string, overrides: Partial<NewTenant> & { tier?: TierName } = {}): NewTenant {
  const { tier = 'free', ...rest } = overrides;
  return {
    tenantId,
    companyName: `Shop ${tenantId}`,
    ownerEmail: 'owner@example.com',
    ownerName: 'Ada Lovelace',
    customDomain: null,
    stripeCustomerId: null,
    stripeSubscriptionId: null,
    expiresAt: null,
    desired: { tier, customDomain: overrides.customDomain ?? null, resourceOverrides: {}, hibernated: false },
    operation: { type: 'provision', jobId: `j-${tenantId}`, state: 'queued', at: new Date().toISOString() },
    ...rest,
  };
}
