import { describe, expect, it } from 'vitest';
import { customerJson, eventBody, sign, subscriptionJson } from './support/fixtures.ts';
import { webhookApp } from './support/webhook-app.ts';

const created = () => eventBody('customer.subscription.created', subscriptionJson());

async function expectRefused(response: Response, detail: RegExp) {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await response.json()) as { detail: string; status: number };
  expect(problem).toMatchObject({ status: 400, type: 'tag:tenant-provisioner,2026:problem:bad_request' });
  expect(problem.detail).toMatch(detail);
  return problem;
}

describe('POST /api/webhooks/stripe: signatures (refused with 400, nothing recorded, nothing enqueued)', () => {
  function setup() {
    const t = webhookApp();
    t.stripe.subscriptions.set('sub_unit1', subscriptionJson());
    t.stripe.customers.set('cus_unit1', customerJson());
    return t;
  }

  function expectUntouched(t: ReturnType<typeof setup>) {
    expect(t.untouched()).toBe(true);
    expect(t.redis.keys()).toEqual([]);
    expect(t.stripe.reads).toBe(0);
  }

  it('accepts a body signed with the endpoint secret (the control case)', async () => {
    const t = setup();
    const response = await t.deliver(created());
    expect(response.status).toBe(200);
    expect(t.producer.named('provision')).toHaveLength(1);
  });

  it('refuses a signature made with another secret', async () => {
    const t = setup();
    const body = created();
    await expectRefused(await t.deliver(body, { 'Stripe-Signature': sign(body, { secret: 'whsec_someone_else' }) }), /No signatures found/);
    expectUntouched(t);
  });

  it('refuses a correctly signed body whose timestamp is 301 s old (a replay)', async () => {
    const t = setup();
    const body = created();
    const stale = Math.floor(Date.now() / 1000) - 301;
    await expectRefused(await t.deliver(body, { 'Stripe-Signature': sign(body, { timestamp: stale }) }), /tolerance/i);
    expectUntouched(t);
  });

  it('accepts a timestamp 290 s old: the tolerance is 300 s, not less', async () => {
    const t = setup();
    const body = created();
    const response = await t.deliver(body, { 'Stripe-Signature': sign(body, { timestamp: Math.floor(Date.now() / 1000) - 290 }) });
    expect(response.status).toBe(200);
  });

  it('refuses a body re-serialised after signing (same JSON, other bytes)', async () => {
    const t = setup();
    const body = created();
    const signature = sign(body);
    const reserialised = JSON.stringify(JSON.parse(body), null, 2);
    await expectRefused(await t.deliver(reserialised, { 'Stripe-Signature': signature }), /No signatures found/);
    expectUntouched(t);
  });

  it('refuses a body whose content was changed after signing', async () => {
    const t = setup();
    const body = created();
    const tampered = body.replace('"active"', '"canceled"');
    await expectRefused(await t.deliver(tampered, { 'Stripe-Signature': sign(body) }), /No signatures found/);
    expectUntouched(t);
  });

  it.each([
    ['missing', null],
    ['empty', ''],
    ['garbage', 'not-a-signature'],
    ['without v1', `t=${Math.floor(Date.now() / 1000)}`],
  ])('refuses a %s Stripe-Signature header with 400, never 500', async (_, header) => {
    const t = setup();
    await expectRefused(await t.deliver(created(), { 'Stripe-Signature': header }), /./);
    expectUntouched(t);
  });

  it('refuses a signed body that is not a Stripe event', async () => {
    const t = setup();
    const body = JSON.stringify({ hello: 'world' });
    await expectRefused(await t.deliver(body), /not a Stripe event/);
    expectUntouched(t);
  });

  it('never echoes the secret or the expected signature in the problem', async () => {
    const t = setup();
    const body = created();
    const response = await t.deliver(body, { 'Stripe-Signature': sign(body, { secret: 'whsec_someone_else' }) });
    const text = await response.text();
    expect(text).not.toContain('whsec_');
    expect(text).not.toContain(sign(body).split('v1=')[1]);
  });

  it('answers 503 problem, not 500, when no webhook secret is configured', async () => {
    const t = webhookApp({
      config: (c) => {
        c.billing.webhookSecret = null;
      },
    });
    const response = await t.deliver(created());
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ detail: expect.stringContaining('STRIPE_WEBHOOK_SECRET') });
    expect(t.untouched()).toBe(true);
  });

  it('keeps the body limit: an oversized delivery is 413 before any verification', async () => {
    const t = webhookApp({
      config: (c) => {
        c.http.bodyLimitBytes = 1024;
      },
    });
    const body = eventBody('customer.subscription.created', { ...subscriptionJson(), padding: 'x'.repeat(2048) });
    const response = await t.deliver(body);
    expect(response.status).toBe(413);
    expect(t.untouched()).toBe(true);
  });

  it('needs no bearer token (Stripe has none) and does not take one as authentication', async () => {
    const t = setup();
    const response = await t.deliver(created(), { Authorization: 'Bearer whatever', 'Stripe-Signature': null });
    expect(response.status).toBe(400);
  });
});
