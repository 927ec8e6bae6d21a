import { describe, expect, it } from 'vitest';
import { scheduleKeys } from '../../../src/billing/billing-decision.ts';
import { customerJson, eventBody, PRICES, subscriptionJson, tenantRecord } from './support/fixtures.ts';
import { NOW, webhookApp } from './support/webhook-app.ts';

type Receipt = { outcome: string; eventId: string; detail: string };

// The webhook over the real lifecycle core (in-memory tenant store, recording queue and schedules):
// what is asserted is the intent recorded on the tenant, the jobs queued and the actions scheduled.
function setup(options: Parameters<typeof webhookApp>[0] = {}) {
  const t = webhookApp(options);
  t.stripe.customers.set('cus_unit1', customerJson());
  return t;
}

const HOUR_MS = 3_600_000;

describe('POST /api/webhooks/stripe: deduplication', () => {
  it('processes an event once; a redelivery answers 200 duplicate and does nothing', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const body = eventBody('customer.subscription.created', subscriptionJson(), { id: 'evt_once' });
    const first = await t.deliver(body);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ received: true, eventId: 'evt_once', outcome: 'processed' });
    const again = await t.deliver(body);
    expect(await again.json()).toMatchObject({ outcome: 'duplicate' });
    expect(t.producer.named('provision')).toHaveLength(1);
    expect(t.store.tenants.size).toBe(1);
  });

  it('the same event delivered ten times at once provisions exactly once', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const body = eventBody('customer.subscription.created', subscriptionJson(), { id: 'evt_ten' });
    const responses = await Promise.all(Array.from({ length: 10 }, () => t.deliver(body)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(t.producer.named('provision')).toHaveLength(1);
    expect(t.store.tenants.size).toBe(1);
    const busy = responses.find((r) => r.status === 409);
    if (busy) expect(busy.headers.get('retry-after')).toBe('5');
  });

  it("answers 503 and releases the event when queueing fails (nothing half-created stays), so Stripe's redelivery acts (once) on the same tenant", async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const body = eventBody('customer.subscription.created', subscriptionJson());
    t.producer.failNext = true;
    // An unreachable queue (the soak found it in a Redis failover) is a 503 as on every other route, never a 500.
    const failed = await t.deliver(body);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ detail: expect.stringContaining('unavailable') });
    expect(t.producer.jobs).toEqual([]);
    // The core withdrew the namespace no job would ever converge.
    expect(t.store.deleted).toHaveLength(1);
    expect(t.store.tenants.size).toBe(0);
    expect((await t.deliver(body)).status).toBe(200);
    expect(await (await t.deliver(body)).json()).toMatchObject({ outcome: 'duplicate' });
    expect(t.producer.named('provision')).toHaveLength(1);
    // The plan derives from the event id: the redelivery aimed at the tenant the first attempt chose.
    expect([...t.store.tenants.keys()]).toEqual(t.store.deleted);
  });

  it('answers 503 when the Stripe API is down, and acts on the redelivery', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const body = eventBody('customer.subscription.created', subscriptionJson());
    t.stripe.down = true;
    const down = await t.deliver(body);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ detail: expect.stringContaining('Stripe API') });
    expect(t.untouched()).toBe(true);
    t.stripe.down = false;
    expect((await t.deliver(body)).status).toBe(200);
    expect(t.producer.named('provision')).toHaveLength(1);
  });

  it('answers 503 when Redis is down, before acting', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    t.redis.down = true;
    expect((await t.deliver(eventBody('customer.subscription.created', subscriptionJson()))).status).toBe(503);
    expect(t.untouched()).toBe(true);
  });
});

describe('POST /api/webhooks/stripe: what is acted on', () => {
  it.each(['invoice.paid', 'customer.created', 'checkout.session.completed', 'some.future.event'])(
    'answers 200 ignored for %s, logs it, records nothing',
    async (type) => {
      const t = setup();
      const response = await t.deliver(eventBody(type, { object: 'invoice', id: 'in_1' }));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ outcome: 'ignored', type });
      expect(t.untouched()).toBe(true);
      expect(t.redis.keys()).toEqual([]);
      expect(t.logLines.some((line) => line.includes('stripe event ignored') && line.includes(type))).toBe(true);
    },
  );

  it('ignores a subscription event whose object is not a subscription', async () => {
    const t = setup();
    const response = await t.deliver(eventBody('customer.subscription.updated', { object: 'invoice', id: 'in_1' }));
    expect(await response.json()).toMatchObject({ outcome: 'ignored' });
    expect(t.untouched()).toBe(true);
  });

  it("provisions from the customer's data, with both Stripe ids, recorded as billing's", async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ prices: [PRICES.enterprise] }));
    await t.deliver(eventBody('customer.subscription.created', subscriptionJson()));
    const [job] = t.producer.named('provision');
    expect(job?.payload).toMatchObject({
      companyName: 'Acme Auto Repair',
      ownerEmail: 'ada@acme.test',
      ownerName: 'Ada Lovelace',
      desired: { tier: 'enterprise' },
      stripeCustomerId: 'cus_unit1',
      stripeSubscriptionId: 'sub_unit1',
    });
    const tenant = (await t.store.get(String(job?.payload.tenantId)))!;
    expect(tenant).toMatchObject({ tier: 'enterprise', stripeCustomerId: 'cus_unit1', stripeSubscriptionId: 'sub_unit1' });
    expect(tenant.operation).toMatchObject({ type: 'provision', jobId: job?.jobId, state: 'queued', reason: 'billing' });
  });

  it('acts on the subscription as Stripe has it now, not as the event describes it', async () => {
    const t = setup();
    t.store.put(tenantRecord({ tenantId: 'acme' }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ prices: [PRICES.enterprise] }));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'past_due' }), { id: 'evt_now' }));
    expect(t.schedules.pending.size).toBe(0);
    expect(t.producer.jobs.map((j) => [j.name, j.jobId])).toEqual([['update', 'billing-update-acme-evt_now']]);
    expect(await t.store.get('acme')).toMatchObject({ desired: { tier: 'enterprise', hibernated: false }, operation: { type: 'update', reason: 'billing' } });
  });

  it('answers 200 without provisioning when the customer lacks an owner, and logs the missing fields', async () => {
    const t = setup();
    t.stripe.customers.set('cus_unit1', customerJson({ name: null, email: null, metadata: {} }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const response = await t.deliver(eventBody('customer.subscription.created', subscriptionJson()));
    expect(response.status).toBe(200);
    expect(t.untouched()).toBe(true);
    expect(t.logLines.some((line) => line.includes('not provisioned') && line.includes('ownerEmail'))).toBe(true);
  });

  it('upgrades a demo tenant of the customer in place and clears its expiry', async () => {
    const t = setup();
    t.store.put(tenantRecord({ tenantId: 'demo1', tier: 'demo', stripeSubscriptionId: null, expiresAt: '2026-03-05T00:00:00.000Z' }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    await t.deliver(eventBody('customer.subscription.created', subscriptionJson()));
    expect(t.producer.jobs.map((j) => j.name)).toEqual(['update']);
    expect(t.store.tenants.size).toBe(1);
    expect(await t.store.get('demo1')).toMatchObject({ stripeSubscriptionId: 'sub_unit1', expiresAt: null, desired: { tier: 'professional' } });
  });

  it('past due schedules a hibernation after the grace period; paid again cancels it', async () => {
    const t = setup();
    t.store.put(tenantRecord({ tenantId: 'acme' }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'past_due' }));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'past_due' })));
    expect(t.schedules.pending.get(scheduleKeys.grace('acme'))).toEqual({
      action: { action: 'hibernate', tenantId: 'acme', reason: 'payment-past-due' },
      notBefore: new Date(NOW.getTime() + 72 * HOUR_MS),
    });
    expect(t.producer.jobs).toEqual([]);
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'active' }));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson()));
    expect(t.schedules.pending.size).toBe(0);
    expect(t.producer.jobs).toEqual([]);
    expect((await t.store.get('acme'))?.desired.hibernated).toBe(false);
  });

  it('a grace of 0 hibernates at once, with a job id derived from the event', async () => {
    const t = setup({
      config: (c) => {
        c.billing.pastDueGraceHours = 0;
      },
    });
    t.store.put(tenantRecord({ tenantId: 'acme' }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'past_due' }));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'past_due' }), { id: 'evt_pd' }));
    expect(t.schedules.pending.size).toBe(0);
    expect(t.producer.jobs.map((j) => [j.name, j.jobId])).toEqual([['hibernate', 'billing-hibernate-acme-evt_pd']]);
    expect((await t.store.get('acme'))?.desired.hibernated).toBe(true);
  });

  it('a downgrade the lifecycle refuses is logged for an operator and not retried (the event is done)', async () => {
    const t = setup({ liveStorage: '200Gi' });
    t.store.put(tenantRecord({ tenantId: 'acme', tier: 'enterprise' }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ prices: [PRICES.professional] }));
    const body = eventBody('customer.subscription.updated', subscriptionJson());
    expect((await t.deliver(body)).status).toBe(200);
    expect(t.producer.jobs).toEqual([]);
    expect((await t.store.get('acme'))?.desired.tier).toBe('enterprise');
    expect(t.logLines.some((line) => line.includes('an operator must decide') && line.includes('200Gi'))).toBe(true);
    expect(await (await t.deliver(body)).json()).toMatchObject({ outcome: 'duplicate' });
  });
});

describe('POST /api/webhooks/stripe: delivery order does not matter', () => {
  async function deletedThenUpdated(t: ReturnType<typeof setup>) {
    t.store.put(tenantRecord({ tenantId: 'acme' }));
    const deleted = await t.deliver(eventBody('customer.subscription.deleted', subscriptionJson({ status: 'canceled' }), { created: 2000 }));
    const updated = await t.deliver(
      eventBody('customer.subscription.updated', subscriptionJson({ status: 'active', prices: [PRICES.enterprise] }), { created: 1000 }),
    );
    expect([deleted.status, updated.status]).toEqual([200, 200]);
    return (await updated.json()) as Receipt;
  }

  /** Hibernated now, removal pending after the retention period, never resumed or upgraded. */
  async function expectEnded(t: ReturnType<typeof setup>) {
    expect(t.producer.jobs.map((j) => j.name)).toEqual(['hibernate']);
    expect(await t.store.get('acme')).toMatchObject({ desired: { tier: 'professional', hibernated: true }, operation: { type: 'hibernate' } });
    expect([...t.schedules.pending.entries()]).toEqual([
      [
        scheduleKeys.retention('acme'),
        { action: { action: 'deprovision', tenantId: 'acme', reason: 'subscription-cancelled' }, notBefore: new Date(NOW.getTime() + 30 * 24 * HOUR_MS) },
      ],
    ]);
  }

  it('deleted before updated ends deprovisioned (the API says canceled, as Stripe would)', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'canceled' }));
    await deletedThenUpdated(t);
    await expectEnded(t);
  });

  it('deleted before updated ends deprovisioned even when the API read is stale: an ended subscription stays ended', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'active', prices: [PRICES.enterprise] }));
    await deletedThenUpdated(t);
    await expectEnded(t);
  });

  it("a retention of 0 removes at once: the tenant's intent is a queued deprovision", async () => {
    const t = setup({
      config: (c) => {
        c.billing.cancelledRetentionDays = 0;
      },
    });
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'canceled' }));
    await deletedThenUpdated(t);
    expect(t.producer.jobs.map((j) => j.name)).toEqual(['hibernate', 'deprovision']);
    expect(await t.store.get('acme')).toMatchObject({ desired: { hibernated: true }, operation: { type: 'deprovision', state: 'queued', reason: 'billing' } });
    expect(t.schedules.pending.size).toBe(0);
  });

  it('never re-provisions an ended subscription whose tenant is already gone', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'active' }));
    await t.deliver(eventBody('customer.subscription.deleted', subscriptionJson({ status: 'canceled' })));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'active' })));
    expect(t.untouched()).toBe(true);
  });

  describe('without an API key (the signed payload is the only source)', () => {
    it('skips a snapshot older than one already applied: past_due then a late active stays past due', async () => {
      const t = setup({ api: null });
      t.store.put(tenantRecord({ tenantId: 'acme' }));
      await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'past_due' }), { created: 2000 }));
      const late = await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'active' }), { created: 1000 }));
      expect(((await late.json()) as Receipt).detail).toContain('newer');
      expect([...t.schedules.pending.keys()]).toEqual([scheduleKeys.grace('acme')]);
      expect(t.producer.jobs).toEqual([]);
    });

    it('deleted before updated ends deprovisioned', async () => {
      const t = setup({ api: null });
      const receipt = await deletedThenUpdated(t);
      expect(receipt.outcome).toBe('processed');
      await expectEnded(t);
    });

    it("provisions from the subscription's metadata", async () => {
      const t = setup({ api: null });
      const metadata = { company_name: 'Shop', owner_email: 'o@shop.test', owner_first_name: 'Grace', owner_last_name: 'Hopper' };
      await t.deliver(eventBody('customer.subscription.created', subscriptionJson({ metadata })));
      expect(t.producer.named('provision').map((j) => j.payload)).toEqual([
        expect.objectContaining({ companyName: 'Shop', stripeSubscriptionId: 'sub_unit1' }),
      ]);
      expect(t.stripe.reads).toBe(0);
    });
  });
});
