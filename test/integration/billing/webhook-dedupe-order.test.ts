import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { scheduleKeys } from '../../../src/billing/billing-decision.ts';
import { BILLING_SCHEDULES_QUEUE } from '../../../src/billing/billing-schedules.ts';
import { createBillingWorker } from '../../../src/billing/create-billing-worker.ts';
import { createTenantFinder } from '../../../src/billing/tenant-finder.ts';
import { redisOptions } from '../../../src/composition/redis-connections.ts';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import { testConfig } from '../../support/service-deps.ts';
import { startStripeMock, type StripeMock } from '../../support/stripe-mock.ts';
import { eventBody, subscriptionJson } from '../../unit/billing/support/fixtures.ts';
import { billingEnv, billingStack, PRICE, uniqueCustomer, uniqueSubscription, type BillingStack } from './support/billing-stack.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// No worker runs here: what is asserted is the intent billing records (namespaces, markers) and the
// jobs it queues, against real Redis, the sandbox API server and a real stripe-mock.
const kubeconfig = inject('kubeconfig');
const customer = uniqueCustomer();
const stripeState = (status: string) => ({
  customer: { email: 'ada@acme.test', name: 'Ada Lovelace', metadata: { company_name: 'Billing Dedupe' } },
  subscription: { customer, status },
  subscription_item: { price: { id: PRICE.professional } },
});
let mock: StripeMock;
let stack: BillingStack;

// stripe-mock's hooks come before the harness's: it starts first and stops last.
beforeAll(async () => {
  mock = await startStripeMock(stripeState('active'));
});
afterAll(async () => {
  await mock?.stop();
});

const harness = useWorkerHarness({
  kubeconfig,
  workers: 0,
  config: () => testConfig({ kubeconfig, redisUrl: inject('redisUrl'), env: billingEnv(mock.url, { pastDueGraceHours: 1 }) }),
});
const { created } = harness;

beforeAll(async () => {
  stack = await billingStack(harness.deps);
});
afterAll(async () => {
  await stack?.close();
});

const find = (subscriptionId: string) => createTenantFinder(harness.deps.registry)(customer, subscriptionId);
const jobsOf = async (tenantId: string) =>
  (await harness.deps.queue.getJobs(['waiting', 'delayed', 'active', 'prioritized', 'completed', 'failed'])).filter((j) => j.data?.tenantId === tenantId);

/** A tenant recorded as provisioned for this subscription (its intent only: no chart is installed here). */
async function existingTenant(subscriptionId: string): Promise<TenantRecord> {
  const { deps } = harness;
  const tenantId = `bill-${randomUUID().slice(0, 6)}`;
  created.push(tenantId);
  const desired = { tier: 'professional' as const, customDomain: null, resourceOverrides: {}, hibernated: false };
  return deps.registry.create({
    tenantId,
    companyName: 'Billing Order',
    ownerEmail: 'ada@acme.test',
    ownerName: 'Ada Lovelace',
    customDomain: null,
    stripeCustomerId: customer,
    stripeSubscriptionId: subscriptionId,
    expiresAt: null,
    desired,
    operation: { type: 'provision', jobId: randomUUID(), state: 'completed', at: new Date().toISOString() },
  });
}

describe('Stripe webhook against real Redis, stripe-mock and the sandbox', () => {
  it('the same event delivered ten times at once creates one tenant and queues one provision job', async () => {
    const { deps } = harness;
    const subscriptionId = uniqueSubscription();
    const body = eventBody('customer.subscription.created', subscriptionJson({ id: subscriptionId, customer }));
    const responses = await Promise.all(Array.from({ length: 10 }, () => stack.post(body)));
    const statuses = responses.map((r) => r.status).sort();
    expect(
      statuses.every((s) => s === 200 || s === 409),
      JSON.stringify(statuses),
    ).toBe(true);
    expect(statuses).toContain(200);

    const tenant = await find(subscriptionId);
    expect(tenant).toMatchObject({ tier: 'professional', companyName: 'Billing Dedupe', ownerEmail: 'ada@acme.test', stripeCustomerId: customer });
    created.push(tenant!.tenantId);
    const matching = (await deps.registry.list({ limit: 500 })).items.filter((t) => t.stripeSubscriptionId === subscriptionId);
    expect(matching).toHaveLength(1);
    expect((await jobsOf(tenant!.tenantId)).map((j) => j.name)).toEqual(['provision']);
    // Recorded by the lifecycle core as billing's, under the job it queued.
    expect(tenant!.operation).toMatchObject({ type: 'provision', state: 'queued', reason: 'billing', jobId: (await jobsOf(tenant!.tenantId))[0]?.id });

    // Stripe's later retries of the same event: 200 duplicate, still one job.
    const retry = await stack.post(body);
    expect(await retry.json()).toMatchObject({ outcome: 'duplicate' });
    expect(await jobsOf(tenant!.tenantId)).toHaveLength(1);
  });

  it.each([
    ['canceled', 'as Stripe has it'],
    ['active', 'with a stale API read'],
  ])('deleted delivered before updated ends deprovisioned (stripe-mock says %s, %s)', async (status) => {
    const { deps } = harness;
    await mock.restart(stripeState(status));
    const subscriptionId = uniqueSubscription();
    const tenant = await existingTenant(subscriptionId);
    const deleted = await stack.deliver('customer.subscription.deleted', { id: subscriptionId, customer, status: 'canceled' }, { created: 2000 });
    expect(deleted.status).toBe(200);
    const updated = await stack.deliver('customer.subscription.updated', { id: subscriptionId, customer, status: 'active' }, { created: 1000 });
    expect(await updated.json()).toMatchObject({ outcome: 'processed', detail: expect.stringContaining('being removed') });

    const after = await deps.registry.get(tenant.tenantId);
    expect(after?.operation).toMatchObject({ type: 'deprovision', state: 'queued' });
    expect(after?.desired.hibernated).toBe(true);
    expect((await jobsOf(tenant.tenantId)).map((j) => j.name).sort()).toEqual(['deprovision', 'hibernate']);
  });

  it('past due schedules a hibernation after the grace period on the billing queue; paid again removes it', async () => {
    const { deps } = harness;
    await mock.restart(stripeState('past_due'));
    const subscriptionId = uniqueSubscription();
    const tenant = await existingTenant(subscriptionId);
    await stack.deliver('customer.subscription.updated', { id: subscriptionId, customer, status: 'past_due' });
    const key = scheduleKeys.grace(tenant.tenantId);
    const schedules = new Queue(BILLING_SCHEDULES_QUEUE, { connection: deps.redis, prefix: deps.config.queue.prefix });
    try {
      const scheduled = await schedules.getJob(key);
      expect(await scheduled?.getState()).toBe('delayed');
      expect(scheduled!.opts.delay).toBeGreaterThan(3_500_000);
      expect(scheduled!.data).toEqual({ action: 'hibernate', tenantId: tenant.tenantId, reason: 'payment-past-due' });
      expect(await jobsOf(tenant.tenantId)).toEqual([]);

      // A redelivered past-due event keeps the first deadline.
      await stack.deliver('customer.subscription.updated', { id: subscriptionId, customer, status: 'past_due' });
      expect((await schedules.getJob(key))!.timestamp).toBe(scheduled!.timestamp);

      await mock.restart(stripeState('active'));
      await stack.deliver('customer.subscription.updated', { id: subscriptionId, customer, status: 'active' });
      expect(await schedules.getJob(key)).toBeUndefined();
      expect(await jobsOf(tenant.tenantId)).toEqual([]);
    } finally {
      await schedules.close();
    }
  });

  it('a delayed hibernation fires through the scheduled-action worker into the lifecycle intake', async () => {
    const { deps } = harness;
    await mock.restart(stripeState('past_due'));
    const subscriptionId = uniqueSubscription();
    const tenant = await existingTenant(subscriptionId);
    const worker = createBillingWorker(
      { config: deps.config, redis: deps.redis, lifecycle: stack.lifecycle, logger: deps.logger },
      { connection: redisOptions(deps.config.redis, 'durable'), prefix: deps.config.queue.prefix },
    );
    void worker.run();
    try {
      await stack.schedules.schedule(
        scheduleKeys.grace(tenant.tenantId),
        { action: 'hibernate', tenantId: tenant.tenantId, reason: 'payment-past-due' },
        new Date(Date.now() + 500),
      );
      const deadline = Date.now() + 15_000;
      while ((await jobsOf(tenant.tenantId)).length === 0 && Date.now() < deadline) await sleep(100);
      expect((await jobsOf(tenant.tenantId)).map((j) => j.name)).toEqual(['hibernate']);
      expect((await deps.registry.get(tenant.tenantId))?.desired.hibernated).toBe(true);
    } finally {
      await worker.close();
    }
  });
});
