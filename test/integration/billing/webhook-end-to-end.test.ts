import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import { createTenantFinder } from '../../../src/billing/tenant-finder.ts';
import { eventually } from '../../support/kube.ts';
import { testConfig } from '../../support/service-deps.ts';
import { startStripeMock, type StripeMock } from '../../support/stripe-mock.ts';
import { tenantShape, waitForJob } from '../../support/tenants.ts';
import { billingEnv, billingStack, PRICE, uniqueCustomer, uniqueSubscription, type BillingStack } from './support/billing-stack.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// Acceptance 1 of the billing issue: signed subscription events drive a tenant on the sandbox through
// provision, a tier change, past-due hibernation, resume and cancellation to removal. Stripe's side
// is a real stripe-mock whose fixtures are changed (restarted) to say what Stripe holds at each step.
const kubeconfig = inject('kubeconfig');
const customer = uniqueCustomer();
const subscriptionId = uniqueSubscription();
const company = `Billing E2E ${randomBytes(2).toString('hex')}`;
const stripeHolds = (status: string, price: string) => ({
  customer: { email: 'owner@e2e.test', name: 'Ada Lovelace', metadata: { company_name: company } },
  subscription: { customer, status },
  subscription_item: { price: { id: price } },
});

let mock: StripeMock;
let stack: BillingStack;
let tenant: TenantRecord;

// stripe-mock's hooks come before the harness's: it starts first and stops last.
beforeAll(async () => {
  mock = await startStripeMock(stripeHolds('active', PRICE.professional));
});
afterAll(async () => {
  await mock?.stop();
});

const harness = useWorkerHarness({
  kubeconfig,
  config: () => testConfig({ kubeconfig, redisUrl: inject('redisUrl'), env: billingEnv(mock.url, { pastDueGraceHours: 0, cancelledRetentionDays: 0 }) }),
});

beforeAll(async () => {
  stack = await billingStack(harness.deps);
});
afterAll(async () => {
  await stack?.close();
});

/** Delivers a signed event and waits for the operation it queued (read from the tenant's marker). */
async function deliverAndSettle(type: string, status: string, expected: string) {
  const { deps } = harness;
  const response = await stack.deliver(type, { id: subscriptionId, customer, status });
  expect(response.status, await response.clone().text()).toBe(200);
  const marker = (await deps.registry.get(tenant.tenantId))?.operation;
  expect(marker?.type).toBe(expected);
  expect(await waitForJob(deps.queue, marker!.jobId, 110_000)).toBe('completed');
  return deps.registry.get(tenant.tenantId);
}

describe('Stripe subscription events drive a tenant end to end', () => {
  it('customer.subscription.created provisions a professional tenant carrying both Stripe ids', async () => {
    const { deps } = harness;
    const response = await stack.deliver('customer.subscription.created', { id: subscriptionId, customer, status: 'active' });
    expect(await response.json()).toMatchObject({ outcome: 'processed' });
    tenant = (await createTenantFinder(deps.registry)(customer, subscriptionId))!;
    harness.created.push(tenant.tenantId);
    expect(tenant).toMatchObject({
      tier: 'professional',
      companyName: company,
      ownerEmail: 'owner@e2e.test',
      stripeCustomerId: customer,
      stripeSubscriptionId: subscriptionId,
    });
    expect(await waitForJob(deps.queue, tenant.operation!.jobId, 110_000)).toBe('completed');
    expect(await tenantShape(deps, tenant.tenantId)).toMatchObject({
      release: { status: 'deployed' },
      database: { instances: 1, readyInstances: 1 },
      api: { replicas: 2, ready: 2 },
    });
  });

  it('customer.subscription.updated to the enterprise price changes the tier in place', async () => {
    const { deps } = harness;
    await mock.restart(stripeHolds('active', PRICE.enterprise));
    const after = await deliverAndSettle('customer.subscription.updated', 'active', 'update');
    expect(after).toMatchObject({ tier: 'enterprise', desired: { tier: 'enterprise', hibernated: false } });
    expect(await tenantShape(deps, tenant.tenantId)).toMatchObject({ database: { instances: 3, readyInstances: 3 }, api: { replicas: 3, ready: 3 } });
  });

  it("past_due (grace 0 h) hibernates; active again resumes to the tier's replicas", async () => {
    const { deps } = harness;
    await mock.restart(stripeHolds('past_due', PRICE.enterprise));
    await deliverAndSettle('customer.subscription.updated', 'past_due', 'hibernate');
    expect(await tenantShape(deps, tenant.tenantId)).toMatchObject({ database: { hibernated: true }, api: { replicas: 0 }, web: { replicas: 0 } });

    await mock.restart(stripeHolds('active', PRICE.enterprise));
    await deliverAndSettle('customer.subscription.updated', 'active', 'resume');
    expect(await tenantShape(deps, tenant.tenantId)).toMatchObject({ database: { hibernated: false }, api: { replicas: 3, ready: 3 } });
  });

  it('customer.subscription.deleted hibernates, then (retention 0 d) deprovisions: nothing is left', async () => {
    const { deps } = harness;
    await mock.restart(stripeHolds('canceled', PRICE.enterprise));
    const eventId = `evt_e2e_deleted_${randomBytes(4).toString('hex')}`;
    const response = await stack.deliver('customer.subscription.deleted', { id: subscriptionId, customer, status: 'canceled' }, { id: eventId });
    expect(await response.json()).toMatchObject({ outcome: 'processed', detail: expect.stringContaining('canceled') });
    const marker = (await deps.registry.get(tenant.tenantId))?.operation;
    expect(marker?.type).toBe('deprovision');
    expect(await waitForJob(deps.queue, `billing-hibernate-${tenant.tenantId}-${eventId}`, 110_000)).toBe('completed');
    expect(await waitForJob(deps.queue, marker!.jobId, 110_000)).toBe('completed');
    await eventually('namespace removed', async () => ((await tenantShape(deps, tenant.tenantId)).namespaces === 0 ? true : undefined), 60_000);
    expect(await deps.helm.status(`${deps.config.platform.releasePrefix}${tenant.tenantId}`, tenant.namespace)).toBeUndefined();

    // A late `updated` for the ended subscription provisions nothing new.
    await mock.restart(stripeHolds('active', PRICE.enterprise));
    await stack.deliver('customer.subscription.updated', { id: subscriptionId, customer, status: 'active' });
    expect(await createTenantFinder(deps.registry)(customer, subscriptionId)).toBeUndefined();
  });
});
