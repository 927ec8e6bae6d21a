import { describe, expect, it } from 'vitest';
import { decide, scheduleKeys } from '../../../src/billing/billing-decision.ts';
import { billingMapping } from '../../../src/billing/billing-mapping.ts';
import { snapshotOf, type SubscriptionSnapshot } from '../../../src/billing/subscription-snapshot.ts';
import { testConfig } from '../api/support/config.ts';
import { PRICES, subscriptionJson, tenantRecord } from './support/fixtures.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const config = testConfig((c) => {
  c.billing.priceTiers = { [PRICES.professional]: 'professional', [PRICES.enterprise]: 'enterprise' };
  c.billing.pastDueGraceHours = 72;
  c.billing.cancelledRetentionDays = 30;
});
const mapping = billingMapping(config.billing, config.tiers);
const TENANT = 'acme-auto-a1b2c3';

const sub = (options: Parameters<typeof subscriptionJson>[0] = {}): SubscriptionSnapshot => snapshotOf(subscriptionJson(options))!;
const stepsOf = (...args: Parameters<typeof decide>) => decide(...args).steps;

describe('decide: no tenant yet', () => {
  it('provisions an active subscription at the tier of its price', () => {
    expect(decide(undefined, sub(), mapping, NOW)).toEqual({
      steps: [{ type: 'provision', tier: 'professional', customerId: 'cus_unit1', subscriptionId: 'sub_unit1' }],
      reason: expect.stringContaining('has no tenant'),
    });
  });

  it('provisions a trialing subscription (a configured active status)', () => {
    expect(stepsOf(undefined, sub({ status: 'trialing' }), mapping, NOW)).toMatchObject([{ type: 'provision' }]);
  });

  it.each(['past_due', 'unpaid', 'paused', 'canceled', 'incomplete', 'incomplete_expired', 'some_future_status'])(
    'does not provision a %s subscription',
    (status) => {
      expect(stepsOf(undefined, sub({ status }), mapping, NOW)).toEqual([]);
    },
  );

  it('does not provision when no price maps to a tier, and says why', () => {
    const decision = decide(undefined, sub({ prices: ['price_unknown'] }), mapping, NOW);
    expect(decision.steps).toEqual([]);
    expect(decision.reason).toContain('price_unknown');
  });

  it('takes the highest mapped tier when the subscription has several prices', () => {
    expect(stepsOf(undefined, sub({ prices: [PRICES.addon, PRICES.enterprise, PRICES.professional] }), mapping, NOW)).toMatchObject([
      { type: 'provision', tier: 'enterprise' },
    ]);
  });
});

describe('decide: active subscription, existing tenant', () => {
  it('does nothing but drop a pending grace hibernation when the tenant already matches', () => {
    expect(decide(tenantRecord(), sub(), mapping, NOW)).toEqual({
      steps: [{ type: 'cancel-scheduled', tenantId: TENANT, keys: [scheduleKeys.grace(TENANT)] }],
      reason: 'active: in sync',
    });
  });

  it('changes the tier in place on a plan change, keeping no expiry', () => {
    expect(stepsOf(tenantRecord(), sub({ prices: [PRICES.enterprise] }), mapping, NOW)).toContainEqual({
      type: 'update',
      tenantId: TENANT,
      tier: 'enterprise',
      clearExpiry: false,
    });
  });

  it('downgrades too (enterprise → professional)', () => {
    expect(stepsOf(tenantRecord({ tier: 'enterprise' }), sub(), mapping, NOW)).toContainEqual({
      type: 'update',
      tenantId: TENANT,
      tier: 'professional',
      clearExpiry: false,
    });
  });

  it('compares with the desired tier, so a change already queued is not asked again', () => {
    const tenant = tenantRecord({ tier: 'professional' });
    tenant.desired.tier = 'enterprise';
    expect(stepsOf(tenant, sub({ prices: [PRICES.enterprise] }), mapping, NOW).map((s) => s.type)).toEqual(['cancel-scheduled']);
  });

  it('upgrades a demo found by customer in place: links the subscription, changes tier, clears the expiry', () => {
    const demo = tenantRecord({ tier: 'demo', stripeSubscriptionId: null, expiresAt: '2026-03-08T12:00:00.000Z' });
    expect(stepsOf(demo, sub(), mapping, NOW)).toEqual([
      { type: 'link', tenantId: TENANT, customerId: 'cus_unit1', subscriptionId: 'sub_unit1' },
      { type: 'cancel-scheduled', tenantId: TENANT, keys: [scheduleKeys.grace(TENANT)] },
      { type: 'update', tenantId: TENANT, tier: 'professional', clearExpiry: true },
    ]);
  });

  it('never moves a paid tenant into a trial tier (its expiry is stamped once, at provision)', () => {
    const c = testConfig((x) => {
      x.billing.priceTiers = { price_trial: 'demo', [PRICES.professional]: 'professional' };
    });
    const decision = decide(tenantRecord(), sub({ prices: ['price_trial'] }), billingMapping(c.billing, c.tiers), NOW);
    expect(decision.steps.map((s) => s.type)).toEqual(['cancel-scheduled']);
    expect(decision.reason).toContain('trial tier');
  });

  it('links a tenant that has the subscription but not the customer id yet', () => {
    expect(stepsOf(tenantRecord({ stripeCustomerId: null }), sub(), mapping, NOW)[0]).toEqual({
      type: 'link',
      tenantId: TENANT,
      customerId: 'cus_unit1',
      subscriptionId: 'sub_unit1',
    });
  });

  it('resumes a hibernated tenant when the subscription is active again, after any tier change', () => {
    expect(stepsOf(tenantRecord({ hibernated: true }), sub({ prices: [PRICES.enterprise] }), mapping, NOW).map((s) => s.type)).toEqual([
      'cancel-scheduled',
      'update',
      'resume',
    ]);
  });

  it('leaves the tier alone when the prices map to no tier, and still resumes', () => {
    const decision = decide(tenantRecord({ hibernated: true }), sub({ prices: ['price_unknown'] }), mapping, NOW);
    expect(decision.steps.map((s) => s.type)).toEqual(['cancel-scheduled', 'resume']);
    expect(decision.reason).toContain('no tier');
  });
});

describe('decide: past due', () => {
  it.each(['past_due', 'unpaid'])('hibernates a running tenant after the grace period (%s)', (status) => {
    expect(stepsOf(tenantRecord(), sub({ status }), mapping, NOW)).toEqual([
      {
        type: 'hibernate',
        tenantId: TENANT,
        reason: 'payment-past-due',
        schedule: { notBefore: new Date(NOW.getTime() + 72 * HOUR), key: scheduleKeys.grace(TENANT) },
      },
    ]);
  });

  it('does nothing for a tenant that is already hibernated', () => {
    expect(stepsOf(tenantRecord({ hibernated: true }), sub({ status: 'past_due' }), mapping, NOW)).toEqual([]);
  });

  it('hibernates at once with a grace of zero hours', () => {
    const c = testConfig((x) => {
      x.billing.pastDueGraceHours = 0;
    });
    const [step] = stepsOf(tenantRecord(), sub({ status: 'past_due' }), billingMapping(c.billing, c.tiers), NOW);
    expect(step).toMatchObject({ type: 'hibernate', schedule: { notBefore: NOW } });
  });

  it('does not touch a demo found by customer alone: only a paid-up subscription claims a tenant', () => {
    expect(stepsOf(tenantRecord({ tier: 'demo', stripeSubscriptionId: null }), sub({ status: 'past_due' }), mapping, NOW)).toEqual([]);
  });

  it("never upgrades an unpaid subscription's tenant", () => {
    expect(stepsOf(tenantRecord(), sub({ status: 'past_due', prices: [PRICES.enterprise] }), mapping, NOW).map((s) => s.type)).toEqual(['hibernate']);
  });
});

describe('decide: cancelled', () => {
  it.each(['canceled', 'incomplete_expired'])('hibernates now and deprovisions after the retention period (%s)', (status) => {
    expect(stepsOf(tenantRecord(), sub({ status }), mapping, NOW)).toEqual([
      { type: 'hibernate', tenantId: TENANT, reason: 'subscription-cancelled', schedule: null },
      { type: 'deprovision', tenantId: TENANT, schedule: { notBefore: new Date(NOW.getTime() + 30 * 24 * HOUR), key: scheduleKeys.retention(TENANT) } },
    ]);
  });

  it('only schedules the removal of a tenant already hibernated (say, after past due)', () => {
    expect(stepsOf(tenantRecord({ hibernated: true }), sub({ status: 'canceled' }), mapping, NOW).map((s) => s.type)).toEqual(['deprovision']);
  });

  it('decides the same steps when asked again: a redelivery schedules nothing new (same key)', () => {
    const first = stepsOf(tenantRecord({ hibernated: true }), sub({ status: 'canceled' }), mapping, NOW);
    const later = stepsOf(tenantRecord({ hibernated: true }), sub({ status: 'canceled' }), mapping, new Date(NOW.getTime() + HOUR));
    expect(later.map((s) => 'schedule' in s && s.schedule?.key)).toEqual(first.map((s) => 'schedule' in s && s.schedule?.key));
  });

  it('does not remove a demo found by customer alone when some other subscription of theirs ends', () => {
    expect(stepsOf(tenantRecord({ tier: 'demo', stripeSubscriptionId: null }), sub({ status: 'canceled' }), mapping, NOW)).toEqual([]);
  });
});

describe('decide: tenants it must leave alone', () => {
  it.each([
    ['is terminating', tenantRecord({ terminating: true })],
    ['has a deprovision queued', tenantRecord({ operation: { type: 'deprovision', jobId: 'j', state: 'queued', at: NOW.toISOString() } })],
    ['has a deprovision running', tenantRecord({ operation: { type: 'deprovision', jobId: 'j', state: 'active', at: NOW.toISOString() } })],
  ])('does nothing to a tenant that %s, whatever the status', (_, tenant) => {
    for (const status of ['active', 'past_due', 'canceled']) expect(stepsOf(tenant, sub({ status }), mapping, NOW)).toEqual([]);
  });

  it('acts on a tenant whose last deprovision failed (it still exists)', () => {
    const tenant = tenantRecord({ operation: { type: 'deprovision', jobId: 'j', state: 'failed', at: NOW.toISOString() } });
    expect(stepsOf(tenant, sub({ status: 'canceled' }), mapping, NOW).map((s) => s.type)).toEqual(['hibernate', 'deprovision']);
  });

  it.each([
    ['another subscription', { stripeSubscriptionId: 'sub_other' }],
    ['another customer', { stripeCustomerId: 'cus_other' }],
  ])('does nothing to a tenant of %s (a finder bug must not cross customers)', (_, overrides) => {
    expect(stepsOf(tenantRecord(overrides), sub({ status: 'canceled' }), mapping, NOW)).toEqual([]);
    expect(stepsOf(tenantRecord(overrides), sub(), mapping, NOW)).toEqual([]);
  });

  it('changes nothing for statuses in no list (incomplete)', () => {
    expect(stepsOf(tenantRecord(), sub({ status: 'incomplete' }), mapping, NOW)).toEqual([]);
  });
});
