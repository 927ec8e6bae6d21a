import { describe, expect, it } from 'vitest';
import type { BillingContext } from '../../../src/billing/billing-actions.ts';
import type { ScheduledAction } from '../../../src/billing/billing-schedules.ts';
import { BILLING_SUBJECT, createLifecycleBillingActions } from '../../../src/billing/lifecycle-billing-actions.ts';
import { createTenantFinder } from '../../../src/billing/tenant-finder.ts';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { tenantRecord } from './support/fixtures.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const context: BillingContext = { eventId: 'evt_1', logger: createLogger({ level: 'silent', pretty: false }) };

/** A registry whose list pages two tenants at a time, as the real one pages with `continue`. */
function pagedRegistry(tenants: TenantRecord[]) {
  const annotations: Array<[string, unknown]> = [];
  return {
    annotations,
    async list({ continue: token }: { limit: number; continue?: string | undefined }) {
      const start = Number(token ?? 0);
      const next = start + 2 < tenants.length ? String(start + 2) : undefined;
      return { items: tenants.slice(start, start + 2), continue: next };
    },
    async read(tenantId: string) {
      const tenant = tenants.find((t) => t.tenantId === tenantId) ?? tenantRecord({ tenantId });
      return { tenant, resourceVersion: '1' };
    },
    async write(tenantId: string, resourceVersion: string, change: { stripe?: { customerId: string | null; subscriptionId: string | null } }) {
      annotations.push([tenantId, { resourceVersion, stripeCustomerId: change.stripe?.customerId, stripeSubscriptionId: change.stripe?.subscriptionId }]);
      return '2';
    },
  };
}

function setup(tenants: TenantRecord[] = []) {
  const calls: Array<[string, ...unknown[]]> = [];
  const registry = pagedRegistry(tenants);
  const actions = createLifecycleBillingActions({
    registry,
    provisioning: {
      async provision(request, ctx) {
        calls.push(['provision', request, ctx.subject, ctx.idempotencyKey]);
        return { accepted: { jobId: 'j1', tenantId: 't1', namespace: 'tenant-t1', state: 'queued', links: { job: '', events: '', status: '' } }, replayed: false };
      },
    },
    intake: {
      update: async (id, change, options) => void calls.push(['update', id, change, options]),
      hibernate: async (id, options) => void calls.push(['hibernate', id, options]),
      resume: async (id, options) => void calls.push(['resume', id, options]),
      deprovision: async (id, options) => void calls.push(['deprovision', id, options]),
    },
    schedules: {
      schedule: async (key: string, action: ScheduledAction, notBefore: Date) => void calls.push(['schedule', key, action, notBefore]),
      cancel: async (keys: readonly string[]) => void calls.push(['cancel', keys]),
    },
    now: () => NOW,
  });
  return { actions, calls, registry };
}

describe('findTenantByStripeIds over the registry', () => {
  const tenants = [
    tenantRecord({ tenantId: 'a', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_old' }),
    tenantRecord({ tenantId: 'demo-new', stripeCustomerId: 'cus_1', stripeSubscriptionId: null, createdAt: '2026-02-01T00:00:00.000Z' }),
    tenantRecord({ tenantId: 'demo-old', stripeCustomerId: 'cus_1', stripeSubscriptionId: null, createdAt: '2026-01-01T00:00:00.000Z' }),
    tenantRecord({ tenantId: 'other', stripeCustomerId: 'cus_2', stripeSubscriptionId: null }),
    tenantRecord({ tenantId: 'mine', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1' }),
  ];
  const find = createTenantFinder(pagedRegistry(tenants));

  it('finds the subscription\'s own tenant on any page', async () => {
    expect((await find('cus_1', 'sub_1'))?.tenantId).toBe('mine');
  });

  it('else the customer\'s oldest tenant without a subscription (the demo to upgrade)', async () => {
    expect((await find('cus_1', 'sub_new'))?.tenantId).toBe('demo-old');
  });

  it('never another customer\'s tenant, nor one tied to another subscription', async () => {
    expect(await find('cus_3', 'sub_new')).toBeUndefined();
    expect((await find('cus_2', 'sub_x'))?.tenantId).toBe('other');
  });
});

describe('BillingActions over the lifecycle intake', () => {
  it('provisions through the provisioning service with an idempotency key per event', async () => {
    const { actions, calls } = setup();
    await actions.provision({ companyName: 'A', ownerEmail: 'a@a.test', ownerFirstName: 'A', ownerLastName: 'B', subscriptionTier: 'professional', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1' }, context);
    expect(calls[0]).toEqual(['provision', expect.objectContaining({ stripeSubscriptionId: 'sub_1' }), BILLING_SUBJECT, 'billing-provision-evt_1']);
  });

  it('gives every operation a job id derived from the event, so a redelivery asks for the same job', async () => {
    const { actions, calls } = setup();
    await actions.update('t1', { tier: 'enterprise', clearExpiry: true }, context);
    await actions.resume('t1', context);
    expect(calls).toEqual([
      ['update', 't1', { subscriptionTier: 'enterprise' }, { jobId: 'billing-update-t1-evt_1' }],
      ['resume', 't1', { jobId: 'billing-resume-t1-evt_1' }],
    ]);
  });

  it('schedules a future hibernation or removal, and runs one whose time has come at once', async () => {
    const { actions, calls } = setup();
    const later = new Date(NOW.getTime() + 3_600_000);
    await actions.hibernate('t1', { reason: 'payment-past-due', schedule: { notBefore: later, key: 'billing-grace-t1' } }, context);
    await actions.hibernate('t1', { reason: 'payment-past-due', schedule: { notBefore: NOW, key: 'billing-grace-t1' } }, context);
    await actions.hibernate('t1', { reason: 'subscription-cancelled', schedule: null }, context);
    await actions.deprovision('t1', { schedule: { notBefore: later, key: 'billing-retention-t1' } }, context);
    await actions.deprovision('t1', { schedule: { notBefore: NOW, key: 'billing-retention-t1' } }, context);
    expect(calls).toEqual([
      ['schedule', 'billing-grace-t1', { action: 'hibernate', tenantId: 't1', reason: 'payment-past-due' }, later],
      ['hibernate', 't1', { jobId: 'billing-hibernate-t1-evt_1' }],
      ['hibernate', 't1', { jobId: 'billing-hibernate-t1-evt_1' }],
      ['schedule', 'billing-retention-t1', { action: 'deprovision', tenantId: 't1', reason: 'subscription-cancelled' }, later],
      ['deprovision', 't1', { jobId: 'billing-deprovision-t1-evt_1' }],
    ]);
  });

  it('links by writing both ids to the tenant\'s annotations, conditioned on the version read, and cancels schedules by key', async () => {
    const { actions, calls, registry } = setup();
    await actions.linkSubscription('t1', { customerId: 'cus_1', subscriptionId: 'sub_1' }, context);
    await actions.cancelScheduled('t1', ['billing-grace-t1'], context);
    expect(registry.annotations).toEqual([['t1', { resourceVersion: '1', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1' }]]);
    expect(calls).toEqual([['cancel', ['billing-grace-t1']]]);
  });
});
