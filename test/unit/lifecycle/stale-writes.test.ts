import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { ProvisionJob } from '../../../src/jobs/job-catalog.ts';
import { requestUpdate, recordStripeIds, type LifecycleDeps } from '../../../src/lifecycle/intake.ts';
import type { OperationDeps } from '../../../src/lifecycle/plans/plan-deps.ts';
import { provisionSteps, type ProvisionResult } from '../../../src/lifecycle/plans/provision.plan.ts';
import { FakeIntents, tenantRecord } from '../worker/support/fake-intents.ts';

const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const at = '2026-01-01T00:00:00.000Z';
const desired = { tier: 'professional' as const, customDomain: 'old.example.com', resourceOverrides: {}, hibernated: false };
const job: ProvisionJob = {
  tenantId: 'acme-abc123',
  namespace: 'tenant-acme-abc123',
  release: 'tenant-acme-abc123',
  requestedAt: at,
  desired,
  companyName: 'Acme',
  ownerEmail: 'a@example.com',
  ownerName: 'Ada',
  stripeCustomerId: 'cus_old',
  stripeSubscriptionId: null,
  expiresAt: null,
};

/**
 * Finding 9: set-urls and set-billing-info wrote the custom domain and Stripe ids captured when the
 * job started, over a change accepted meanwhile. Steps now only read the intent as it is.
 */
describe('provision steps never write values older than the intent they read', () => {
  it('keeps a custom domain and Stripe ids changed while the provision ran', async () => {
    const tenants = new FakeIntents();
    tenants.put(
      tenantRecord({
        desired,
        customDomain: desired.customDomain,
        stripeCustomerId: 'cus_old',
        operation: { type: 'provision', jobId: 'p-1', state: 'active', at },
      }),
    );
    const writes: string[] = [];
    const write = tenants.write.bind(tenants);
    tenants.write = async (id, version, change) => (writes.push(Object.keys(change).join(',')), write(id, version, change));
    const deps = { config, tenants, helm: {}, workloads: {}, kube: {} } as unknown as OperationDeps;
    const result: Partial<ProvisionResult> = {};
    const steps = provisionSteps(deps, 'p-1', job, result);
    const byName = new Map(steps.map((s) => [s.name, s]));
    const signal = new AbortController().signal;
    const run = (name: string) => byName.get(name)!.run({ signal, note: async () => undefined });

    // Meanwhile: an update moves the domain, and billing links the subscription.
    const lifecycle: LifecycleDeps = {
      config,
      tenants,
      producer: { enqueue: async (_n, _p, id) => id },
      helm: { template: async () => '' },
      workloads: { readDatabase: async () => undefined },
    };
    await requestUpdate(lifecycle, 'acme-abc123', { customDomain: 'new.example.com' }, { jobId: 'u-2' });
    await recordStripeIds(lifecycle, 'acme-abc123', { customerId: 'cus_new', subscriptionId: 'sub_new' });
    writes.length = 0;

    await run('set-urls');
    await run('set-billing-info');
    const after = (await tenants.get('acme-abc123'))!;
    expect(after.customDomain).toBe('new.example.com');
    expect(after.desired.customDomain).toBe('new.example.com');
    expect([after.stripeCustomerId, after.stripeSubscriptionId]).toEqual(['cus_new', 'sub_new']);
    expect(writes).toEqual([]);
    expect(result.urls?.custom).toBe('https://new.example.com');
    expect(result.billing).toEqual({ stripeCustomerId: 'cus_new', stripeSubscriptionId: 'sub_new' });
  });
});
