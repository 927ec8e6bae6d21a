import { describe, expect, it } from 'vitest';
import { applySteps, type BillingContext } from '../../../src/billing/billing-intake.ts';
import type { BillingStep } from '../../../src/billing/billing-decision.ts';
import type { BillingProvisionInput } from '../../../src/billing/customer-profile.ts';
import { createTenantFinder } from '../../../src/billing/tenant-finder.ts';
import { IntentLapsedError } from '../../../src/lifecycle/errors.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { testConfig } from '../api/support/config.ts';
import { FakeIntents } from '../worker/support/fake-intents.ts';
import { billingCore } from './support/billing-core.ts';
import { tenantRecord } from './support/fixtures.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const config = testConfig();
const later = new Date(NOW.getTime() + 3_600_000);
const input: BillingProvisionInput = {
  companyName: 'Acme Auto Repair',
  ownerEmail: 'ada@acme.test',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'professional',
  stripeCustomerId: 'cus_1',
  stripeSubscriptionId: 'sub_1',
};
const provisionStep: BillingStep = { type: 'provision', tier: 'professional', customerId: 'cus_1', subscriptionId: 'sub_1' };

function setup(options: { liveStorage?: string } = {}) {
  const core = billingCore(config, options);
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void logLines.push(line) } });
  const context = (eventId = 'evt_1'): BillingContext => ({ eventId, logger });
  const apply = (steps: BillingStep[], eventId?: string) =>
    applySteps({ lifecycle: core.lifecycle, schedules: core.schedules, now: () => NOW }, steps, async () => input, context(eventId));
  return { ...core, logLines, apply };
}

describe('findTenantByStripeIds over the tenant store', () => {
  const store = new FakeIntents();
  for (const t of [
    tenantRecord({ tenantId: 'a', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_old' }),
    tenantRecord({ tenantId: 'demo-new', stripeCustomerId: 'cus_1', stripeSubscriptionId: null, createdAt: '2026-02-01T00:00:00.000Z' }),
    tenantRecord({ tenantId: 'demo-old', stripeCustomerId: 'cus_1', stripeSubscriptionId: null, createdAt: '2026-01-01T00:00:00.000Z' }),
    tenantRecord({ tenantId: 'demo-gone', stripeCustomerId: 'cus_1', stripeSubscriptionId: null, createdAt: '2025-01-01T00:00:00.000Z', terminating: true }),
    tenantRecord({ tenantId: 'other', stripeCustomerId: 'cus_2', stripeSubscriptionId: null }),
    tenantRecord({ tenantId: 'mine', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1' }),
  ])
    store.put(t);
  const find = createTenantFinder(store);

  it("finds the subscription's own tenant", async () => {
    expect((await find('cus_1', 'sub_1'))?.tenantId).toBe('mine');
  });

  it("else the customer's oldest tenant without a subscription that is not being deleted (the demo to upgrade)", async () => {
    expect((await find('cus_1', 'sub_new'))?.tenantId).toBe('demo-old');
  });

  it("never another customer's tenant, nor one tied to another subscription", async () => {
    expect(await find('cus_3', 'sub_new')).toBeUndefined();
    expect((await find('cus_2', 'sub_x'))?.tenantId).toBe('other');
  });
});

describe('applySteps: a decision carried out by the lifecycle core', () => {
  it('provisions with a plan derived from the event: a retry after an unknown outcome finds its own tenant, not a second one', async () => {
    const t = setup();
    // The namespace is created, but the answer is lost (a timeout): the outcome is unknown.
    const create = t.store.create.bind(t.store);
    t.store.create = async (tenant) => {
      await create(tenant);
      throw new Error('socket hang up');
    };
    await expect(t.apply([provisionStep])).rejects.toThrow('socket hang up');
    t.store.create = create;
    expect(await t.apply([provisionStep])).toEqual(['provision']);
    expect(t.store.tenants.size).toBe(1);
    const [tenant] = [...t.store.tenants.values()].map((e) => e.tenant);
    expect(t.producer.jobs).toEqual([expect.objectContaining({ name: 'provision', jobId: tenant?.operation?.jobId })]);
    expect(tenant?.operation).toMatchObject({ type: 'provision', state: 'queued', reason: 'billing' });
    expect(t.logLines.some((line) => line.includes('billing: provision queued') && line.includes('"replayed":true'))).toBe(true);
  });

  it('another event asks for its own provision (the subscription lock and the tenant finder keep it from running twice)', async () => {
    const t = setup();
    await t.apply([provisionStep], 'evt_1');
    await t.apply([provisionStep], 'evt_1');
    expect(t.producer.named('provision')).toHaveLength(1);
    await t.apply([provisionStep], 'evt_2');
    expect(t.producer.named('provision')).toHaveLength(2);
    expect(t.store.tenants.size).toBe(2);
  });

  it('gives every operation a job id derived from the event, so a redelivery asks for the same job', async () => {
    const t = setup();
    t.store.put(tenantRecord({ tenantId: 'acme1', hibernated: true }));
    const steps: BillingStep[] = [
      { type: 'update', tenantId: 'acme1', tier: 'enterprise', clearExpiry: false },
      { type: 'resume', tenantId: 'acme1' },
    ];
    expect(await t.apply(steps)).toEqual(['update', 'resume']);
    expect(t.producer.jobs.map((j) => [j.name, j.jobId])).toEqual([
      ['update', 'billing-update-acme1-evt_1'],
      ['resume', 'billing-resume-acme1-evt_1'],
    ]);
    expect(await t.store.get('acme1')).toMatchObject({
      desired: { tier: 'enterprise', hibernated: false },
      operation: { type: 'resume', jobId: 'billing-resume-acme1-evt_1', reason: 'billing' },
    });
    // The redelivery: the same jobs, nothing new.
    await t.apply(steps);
    expect(t.producer.jobs).toHaveLength(2);
  });

  it('schedules a future hibernation or removal, and runs one whose time has come at once', async () => {
    const t = setup();
    t.store.put(tenantRecord({ tenantId: 'acme1' }));
    await t.apply([{ type: 'hibernate', tenantId: 'acme1', reason: 'payment-past-due', schedule: { notBefore: later, key: 'billing-grace-acme1' } }]);
    await t.apply([{ type: 'deprovision', tenantId: 'acme1', schedule: { notBefore: later, key: 'billing-retention-acme1' } }]);
    expect([...t.schedules.pending.entries()]).toEqual([
      ['billing-grace-acme1', { action: { action: 'hibernate', tenantId: 'acme1', reason: 'payment-past-due' }, notBefore: later }],
      ['billing-retention-acme1', { action: { action: 'deprovision', tenantId: 'acme1', reason: 'subscription-cancelled' }, notBefore: later }],
    ]);
    expect(t.producer.jobs).toEqual([]);

    await t.apply([{ type: 'hibernate', tenantId: 'acme1', reason: 'payment-past-due', schedule: { notBefore: NOW, key: 'billing-grace-acme1' } }], 'evt_due');
    await t.apply([{ type: 'deprovision', tenantId: 'acme1', schedule: { notBefore: NOW, key: 'billing-retention-acme1' } }], 'evt_due');
    expect(t.producer.jobs.map((j) => j.jobId)).toEqual(['billing-hibernate-acme1-evt_due', 'billing-deprovision-acme1-evt_due']);
    expect(await t.store.get('acme1')).toMatchObject({ desired: { hibernated: true }, operation: { type: 'deprovision', state: 'queued' } });
  });

  it('links both Stripe ids with a write conditioned on the version read, and cancels schedules by key', async () => {
    const t = setup();
    t.store.put(tenantRecord({ tenantId: 'acme1', stripeCustomerId: null, stripeSubscriptionId: null }));
    await t.schedules.schedule('billing-grace-acme1', { action: 'hibernate', tenantId: 'acme1', reason: 'payment-past-due' }, later);
    // A concurrent writer between our read and our write: the write is refused and decided again.
    t.store.beforeWrite = () => t.store.put({ ...t.store.tenants.get('acme1')!.tenant });
    await t.apply([
      { type: 'link', tenantId: 'acme1', customerId: 'cus_1', subscriptionId: 'sub_1' },
      { type: 'cancel-scheduled', tenantId: 'acme1', keys: ['billing-grace-acme1', 'billing-retention-acme1'] },
    ]);
    expect(await t.store.get('acme1')).toMatchObject({ stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1' });
    expect(t.store.writes).toBe(1);
    expect(t.schedules.pending.size).toBe(0);
  });

  it('stops at the first failure and rethrows it, so Stripe redelivers', async () => {
    const t = setup();
    t.store.put(tenantRecord({ tenantId: 'acme1', hibernated: true }));
    t.producer.failNext = true;
    const steps: BillingStep[] = [
      { type: 'update', tenantId: 'acme1', tier: 'enterprise', clearExpiry: false },
      { type: 'resume', tenantId: 'acme1' },
    ];
    await expect(t.apply(steps)).rejects.toThrow('ECONNREFUSED');
    expect(t.producer.jobs).toEqual([]);
    // The intent written before the failed add was undone; resume was never asked.
    expect(await t.store.get('acme1')).toMatchObject({ desired: { tier: 'professional', hibernated: true }, operation: null });
  });

  it('rethrows what Stripe redelivering can fix: a cluster error', async () => {
    const t = setup();
    t.store.put(tenantRecord({ tenantId: 'acme1' }));
    t.store.beforeWrite = () => {
      throw new Error('etcdserver: request timed out');
    };
    await expect(t.apply([{ type: 'resume', tenantId: 'acme1' }])).rejects.toThrow('etcdserver');
  });

  describe('settles what needs nothing more (the step counts as taken, the next one runs)', () => {
    it('a tenant that is gone', async () => {
      const t = setup();
      t.store.put(tenantRecord({ tenantId: 'acme2' }));
      expect(
        await t.apply([
          { type: 'link', tenantId: 'gone1', customerId: 'cus_1', subscriptionId: 'sub_1' },
          { type: 'update', tenantId: 'gone1', tier: 'enterprise', clearExpiry: false },
          { type: 'hibernate', tenantId: 'gone1', reason: 'subscription-cancelled', schedule: null },
          { type: 'resume', tenantId: 'acme2' },
        ]),
      ).toEqual(['link', 'update', 'hibernate', 'resume']);
      expect(t.producer.jobs.map((j) => j.jobId)).toEqual(['billing-resume-acme2-evt_1']);
    });

    it('a tenant being removed', async () => {
      const t = setup();
      t.store.put(tenantRecord({ tenantId: 'acme1', operation: { type: 'deprovision', jobId: 'd-1', state: 'active', at: NOW.toISOString() } }));
      expect(
        await t.apply([
          { type: 'hibernate', tenantId: 'acme1', reason: 'subscription-cancelled', schedule: null },
          { type: 'resume', tenantId: 'acme1' },
        ]),
      ).toEqual(['hibernate', 'resume']);
      expect(t.producer.jobs).toEqual([]);
      expect((await t.store.get('acme1'))?.operation).toMatchObject({ type: 'deprovision', jobId: 'd-1' });
    });

    it('a request whose premise lapsed before it was recorded', async () => {
      const t = setup();
      t.store.put(tenantRecord({ tenantId: 'acme1' }));
      t.store.beforeWrite = () => {
        throw new IntentLapsedError('acme1', 'paid meanwhile');
      };
      expect(await t.apply([{ type: 'hibernate', tenantId: 'acme1', reason: 'payment-past-due', schedule: null }])).toEqual(['hibernate']);
      expect(t.producer.jobs).toEqual([]);
    });

    it('a change the lifecycle refuses: logged for an operator, not retried', async () => {
      const t = setup({ liveStorage: '200Gi' });
      t.store.put(tenantRecord({ tenantId: 'acme1', tier: 'enterprise' }));
      expect(await t.apply([{ type: 'update', tenantId: 'acme1', tier: 'professional', clearExpiry: false }])).toEqual(['update']);
      expect(t.producer.jobs).toEqual([]);
      expect((await t.store.get('acme1'))?.desired.tier).toBe('enterprise');
      const line = t.logLines.find((l) => l.includes('an operator must decide'));
      expect(JSON.parse(line!)).toMatchObject({
        level: 50,
        tenantId: 'acme1',
        operation: 'update',
        errors: [expect.objectContaining({ path: 'subscriptionTier' })],
      });
    });
  });
});
