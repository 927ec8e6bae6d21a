import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/billing/billing-decision.ts';
import { billingMapping, classifyStatus } from '../../../src/billing/billing-mapping.ts';
import { SUBSCRIPTION_STATUSES } from '../../../src/billing/billing-config.schema.ts';
import { TIER_NAMES } from '../../../src/domain/tiers.ts';
import { testConfig } from '../api/support/config.ts';
import { PRICES, tenantRecord } from './support/fixtures.ts';

const config = testConfig((c) => {
  c.billing.priceTiers = { [PRICES.professional]: 'professional', [PRICES.enterprise]: 'enterprise' };
});
const mapping = billingMapping(config.billing, config.tiers);
const NOW = new Date('2026-03-01T12:00:00.000Z');

const subscription = fc.record({
  id: fc.constantFrom('sub_a', 'sub_b'),
  customerId: fc.constantFrom('cus_a', 'cus_b'),
  status: fc.constantFrom(...SUBSCRIPTION_STATUSES, 'brand_new_status'),
  priceIds: fc.subarray([PRICES.professional, PRICES.enterprise, PRICES.addon, 'price_unknown']),
  metadata: fc.constant({}),
});
const tenant = fc.option(
  fc
    .record({
      tier: fc.constantFrom(...TIER_NAMES),
      hibernated: fc.boolean(),
      stripeSubscriptionId: fc.constantFrom('sub_a', 'sub_b', null),
      stripeCustomerId: fc.constantFrom('cus_a', 'cus_b', null),
      terminating: fc.boolean(),
      expiresAt: fc.constantFrom(null, '2026-03-08T00:00:00.000Z'),
    })
    .map((t) => tenantRecord(t)),
  { nil: undefined },
);

describe('decide: invariants over every tenant and subscription state', () => {
  it('holds the billing rules', () => {
    fc.assert(
      fc.property(tenant, subscription, (t, s) => {
        const { steps } = decide(t, s, mapping, NOW);
        const types = steps.map((step) => step.type);
        const status = classifyStatus(s.status, mapping);
        // Provision only when there is no tenant and the subscription is paid up.
        if (types.includes('provision')) expect(t === undefined && status === 'active').toBe(true);
        // Removal and immediate hibernation only for a subscription that ended, on its own tenant.
        if (types.includes('deprovision')) expect(status === 'cancelled' && t?.stripeSubscriptionId === s.id).toBe(true);
        // Resume, upgrade and linking only for a paid-up subscription.
        for (const type of ['resume', 'update', 'link'] as const) if (types.includes(type)) expect(status).toBe('active');
        // Never into a trial tier: its expiry is stamped once, at provision.
        for (const step of steps) if (step.type === 'update') expect(mapping.expiringTiers.has(step.tier)).toBe(false);
        // A terminating tenant, or one of another customer or subscription, is never touched.
        if (t && (t.terminating || (t.stripeCustomerId ?? s.customerId) !== s.customerId || (t.stripeSubscriptionId ?? s.id) !== s.id)) {
          expect(steps).toEqual([]);
        }
        // Every step names the tenant it was decided for.
        for (const step of steps) if (step.type !== 'provision') expect(step.tenantId).toBe(t?.tenantId);
        // Deciding is deterministic.
        expect(decide(t, s, mapping, NOW)).toEqual(decide(t, s, mapping, NOW));
      }),
      { numRuns: 2000 },
    );
  });
});
