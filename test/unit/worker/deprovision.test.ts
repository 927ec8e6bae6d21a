import { describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import type { OperationDeps } from '../../../src/lifecycle/plans/plan-deps.ts';
import { deprovisionSteps } from '../../../src/lifecycle/plans/deprovision.plan.ts';
import { FakeIntents, tenantRecord } from './support/fake-intents.ts';

const job = { tenantId: 'acme-abc123', namespace: 'tenant-acme-abc123', release: 'tenant-acme-abc123', requestedAt: '2026-01-01T00:00:00.000Z' };
const timeouts = { validate: 5, deployChart: 5, deprovision: 5 };

function run(tenant: TenantRecord | undefined) {
  const calls: string[] = [];
  const deps = {
    config: { timeouts },
    registry: { get: async () => tenant, ensureAccess: async () => undefined, delete: async () => (calls.push('delete'), 'deleting' as const) },
    intents: new FakeIntents(),
    helm: { uninstall: async () => void calls.push('uninstall') },
    workloads: { waitForNamespaceGone: async () => true as const },
  } as unknown as OperationDeps;
  const steps = deprovisionSteps(deps, 'd-1', job, {});
  const signal = new AbortController().signal;
  return { calls, done: (async () => { for (const s of steps) await s.run({ signal, note: async () => undefined }); })() };
}

describe('deprovision steps', () => {
  it('remove the release and the namespace of the tenant whose removal was asked', async () => {
    const { calls, done } = run(tenantRecord({ operation: { type: 'deprovision', jobId: 'd-1', state: 'queued', at: job.requestedAt } }));
    await done;
    expect(calls).toEqual(['uninstall', 'delete']);
  });

  it('never delete a later incarnation: a live tenant whose marker names another job was provisioned again', async () => {
    const { calls, done } = run(tenantRecord({ createdAt: '2026-01-01T00:05:00.000Z', operation: { type: 'provision', jobId: 'p-2', state: 'active', at: job.requestedAt } }));
    await done;
    expect(calls).toEqual([]);
  });

  it('still remove a tenant whose removal was queued without a marker of its own', async () => {
    const { calls, done } = run(tenantRecord({ createdAt: '2025-12-31T00:00:00.000Z', operation: { type: 'provision', jobId: 'p-1', state: 'completed', at: job.requestedAt } }));
    await done;
    expect(calls).toEqual(['uninstall', 'delete']);
  });

  it('treat a tenant that is already gone as removed', async () => {
    const { calls, done } = run(undefined);
    await done;
    expect(calls).toEqual([]);
  });
});
