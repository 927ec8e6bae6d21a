import { describe, expect, it } from 'vitest';
import { scheduleKeys } from '../../../src/billing/billing-decision.ts';
import { customerJson, eventBody, PRICES, subscriptionJson, tenantRecord } from './support/fixtures.ts';
import { webhookApp } from './support/webhook-app.ts';

type Receipt = { outcome: string; eventId: string; detail: string };

function setup(options: Parameters<typeof webhookApp>[0] = {}) {
  const t = webhookApp(options);
  t.stripe.customers.set('cus_unit1', customerJson());
  return t;
}

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
    expect(t.actions.called('provision')).toHaveLength(1);
  });

  it('the same event delivered ten times at once provisions exactly once', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const body = eventBody('customer.subscription.created', subscriptionJson(), { id: 'evt_ten' });
    const responses = await Promise.all(Array.from({ length: 10 }, () => t.deliver(body)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(t.actions.called('provision')).toHaveLength(1);
    const busy = responses.find((r) => r.status === 409);
    if (busy) expect(busy.headers.get('retry-after')).toBe('5');
  });

  it('releases the event when an action fails, so Stripe\'s redelivery acts (once)', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const body = eventBody('customer.subscription.created', subscriptionJson());
    t.actions.failNext = 'provision';
    expect((await t.deliver(body)).status).toBe(500);
    expect(t.actions.called('provision')).toHaveLength(0);
    expect((await t.deliver(body)).status).toBe(200);
    expect((await t.deliver(body)).status).toBe(200);
    expect(t.actions.called('provision')).toHaveLength(1);
  });

  it('answers 503 when the Stripe API is down, and acts on the redelivery', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const body = eventBody('customer.subscription.created', subscriptionJson());
    t.stripe.down = true;
    const down = await t.deliver(body);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ detail: expect.stringContaining('Stripe API') });
    t.stripe.down = false;
    expect((await t.deliver(body)).status).toBe(200);
    expect(t.actions.called('provision')).toHaveLength(1);
  });

  it('answers 503 when Redis is down, before acting', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    t.redis.down = true;
    expect((await t.deliver(eventBody('customer.subscription.created', subscriptionJson()))).status).toBe(503);
    expect(t.actions.calls).toEqual([]);
  });
});

describe('POST /api/webhooks/stripe: what is acted on', () => {
  it.each(['invoice.paid', 'customer.created', 'checkout.session.completed', 'some.future.event'])('answers 200 ignored for %s, logs it, records nothing', async (type) => {
    const t = setup();
    const response = await t.deliver(eventBody(type, { object: 'invoice', id: 'in_1' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ outcome: 'ignored', type });
    expect(t.actions.calls).toEqual([]);
    expect(t.redis.keys()).toEqual([]);
    expect(t.logLines.some((line) => line.includes('stripe event ignored') && line.includes(type))).toBe(true);
  });

  it('ignores a subscription event whose object is not a subscription', async () => {
    const t = setup();
    const response = await t.deliver(eventBody('customer.subscription.updated', { object: 'invoice', id: 'in_1' }));
    expect(await response.json()).toMatchObject({ outcome: 'ignored' });
  });

  it('provisions from the customer\'s data, with both Stripe ids', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ prices: [PRICES.enterprise] }));
    await t.deliver(eventBody('customer.subscription.created', subscriptionJson()));
    expect(t.actions.called('provision')[0]?.args).toMatchObject({
      companyName: 'Acme Auto Repair', ownerEmail: 'ada@acme.test', subscriptionTier: 'enterprise', stripeCustomerId: 'cus_unit1', stripeSubscriptionId: 'sub_unit1',
    });
  });

  it('acts on the subscription as Stripe has it now, not as the event describes it', async () => {
    const t = setup();
    t.actions.tenants.set('acme', tenantRecord({ tenantId: 'acme' }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ prices: [PRICES.enterprise] }));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'past_due' })));
    expect(t.actions.called('hibernate')).toEqual([]);
    expect(t.actions.called('update')[0]?.args).toEqual({ tier: 'enterprise', clearExpiry: false });
  });

  it('answers 200 without provisioning when the customer lacks an owner, and logs the missing fields', async () => {
    const t = setup();
    t.stripe.customers.set('cus_unit1', customerJson({ name: null, email: null, metadata: {} }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    const response = await t.deliver(eventBody('customer.subscription.created', subscriptionJson()));
    expect(response.status).toBe(200);
    expect(t.actions.called('provision')).toEqual([]);
    expect(t.logLines.some((line) => line.includes('not provisioned') && line.includes('ownerEmail'))).toBe(true);
  });

  it('upgrades a demo tenant of the customer in place and clears its expiry', async () => {
    const t = setup();
    t.actions.tenants.set('demo1', tenantRecord({ tenantId: 'demo1', tier: 'demo', stripeSubscriptionId: null, expiresAt: '2026-03-05T00:00:00.000Z' }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    await t.deliver(eventBody('customer.subscription.created', subscriptionJson()));
    expect(t.actions.effective.map((c) => c.action)).toEqual(['linkSubscription', 'update']);
    expect(t.actions.tenants.get('demo1')).toMatchObject({ stripeSubscriptionId: 'sub_unit1', expiresAt: null, desired: { tier: 'professional' } });
  });

  it('past due schedules a hibernation after the grace period; paid again cancels it', async () => {
    const t = setup();
    t.actions.tenants.set('acme', tenantRecord({ tenantId: 'acme' }));
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'past_due' }));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'past_due' })));
    expect(t.actions.called('hibernate')[0]?.args).toMatchObject({ reason: 'payment-past-due', schedule: { key: scheduleKeys.grace('acme') } });
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'active' }));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson()));
    expect(t.actions.called('cancelScheduled').at(-1)?.args).toEqual([scheduleKeys.grace('acme')]);
  });
});

describe('POST /api/webhooks/stripe: delivery order does not matter', () => {
  async function deletedThenUpdated(t: ReturnType<typeof setup>) {
    t.actions.tenants.set('acme', tenantRecord({ tenantId: 'acme' }));
    const deleted = await t.deliver(eventBody('customer.subscription.deleted', subscriptionJson({ status: 'canceled' }), { created: 2000 }));
    const updated = await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'active', prices: [PRICES.enterprise] }), { created: 1000 }));
    expect([deleted.status, updated.status]).toEqual([200, 200]);
    return (await updated.json()) as Receipt;
  }

  it('deleted before updated ends deprovisioned (the API says canceled, as Stripe would)', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'canceled' }));
    await deletedThenUpdated(t);
    expect(t.actions.effective.map((c) => c.action)).toEqual(['hibernate', 'deprovision', 'deprovision']);
    expect(t.actions.called('resume')).toEqual([]);
    expect(t.actions.called('update')).toEqual([]);
  });

  it('deleted before updated ends deprovisioned even when the API read is stale: an ended subscription stays ended', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'active', prices: [PRICES.enterprise] }));
    await deletedThenUpdated(t);
    expect(t.actions.effective.map((c) => c.action)).toEqual(['hibernate', 'deprovision', 'deprovision']);
  });

  it('never re-provisions an ended subscription whose tenant is already gone', async () => {
    const t = setup();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson({ status: 'active' }));
    await t.deliver(eventBody('customer.subscription.deleted', subscriptionJson({ status: 'canceled' })));
    await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'active' })));
    expect(t.actions.called('provision')).toEqual([]);
  });

  describe('without an API key (the signed payload is the only source)', () => {
    it('skips a snapshot older than one already applied: past_due then a late active stays past due', async () => {
      const t = setup({ api: null });
      t.actions.tenants.set('acme', tenantRecord({ tenantId: 'acme' }));
      await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'past_due' }), { created: 2000 }));
      const late = await t.deliver(eventBody('customer.subscription.updated', subscriptionJson({ status: 'active' }), { created: 1000 }));
      expect(((await late.json()) as Receipt).detail).toContain('newer');
      expect(t.actions.calls.map((c) => c.action)).toEqual(['hibernate']);
    });

    it('deleted before updated ends deprovisioned', async () => {
      const t = setup({ api: null });
      const receipt = await deletedThenUpdated(t);
      expect(receipt.outcome).toBe('processed');
      expect(t.actions.effective.map((c) => c.action)).toEqual(['hibernate', 'deprovision']);
    });

    it('provisions from the subscription\'s metadata', async () => {
      const t = setup({ api: null });
      const metadata = { company_name: 'Shop', owner_email: 'o@shop.test', owner_first_name: 'Grace', owner_last_name: 'Hopper' };
      await t.deliver(eventBody('customer.subscription.created', subscriptionJson({ metadata })));
      expect(t.actions.called('provision')[0]?.args).toMatchObject({ companyName: 'Shop', stripeSubscriptionId: 'sub_unit1' });
      expect(t.stripe.reads).toBe(0);
    });
  });
});
