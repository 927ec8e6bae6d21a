import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { OperationMarker } from '../../../src/domain/tenant-record.ts';
import type { HelmRelease } from '../../../src/helm/helm-client.ts';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import type { JobHistory } from '../../../src/jobs/job-history.ts';
import { compensateProvision } from '../../../src/lifecycle/removal.ts';
import { tenantRef } from '../../../src/lifecycle/tenant-ref.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createJobProcessor, type ProcessorDeps } from '../../../src/worker/job-processor.ts';
import { FakeIntents, tenantRecord } from '../worker/support/fake-intents.ts';
import { FakeLeases } from '../worker/support/fake-leases.ts';

const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const ref = tenantRef(config, 'acme-abc123');
const at = '2026-01-01T00:00:00.000Z';
const failure = { step: 'deploy-chart', message: 'chart rejected' };
const marker = (state: OperationMarker['state'], jobId = 'p-1'): OperationMarker => ({ type: 'provision', jobId, state, at });
const revision = (n: number, status: HelmRelease['status']): HelmRelease => ({
  name: ref.release,
  namespace: ref.namespace,
  revision: n,
  status,
  description: '',
});

function world(state: OperationMarker, history: HelmRelease[]) {
  const calls: string[] = [];
  const tenants = new FakeIntents();
  tenants.put(tenantRecord({ operation: state }));
  const helm = {
    history: async () => history,
    status: async () => history.at(-1),
    uninstall: async () => void calls.push('uninstall'),
    rollback: async (_r: string, _n: string, to: number) => void calls.push(`rollback ${to}`),
  };
  const remove = tenants.delete.bind(tenants);
  tenants.delete = async (id) => (calls.push('delete'), remove(id));
  const storeAccounts = { remove: async (t: { tenantId: string }) => void calls.push(`revoke ${t.tenantId}`) };
  return { calls, tenants, deps: { config, tenants, helm: helm as never, storeAccounts } };
}

const signal = new AbortController().signal;

describe('compensating a failed provision (finding 1)', () => {
  it('removes a tenant whose release never deployed', async () => {
    const w = world(marker('active'), [revision(1, 'failed')]);
    expect(await compensateProvision(w.deps, ref, 'p-1', failure, signal)).toMatch(/never deployed/);
    // Its store account before its namespace, whose Secret is what names the account.
    expect(w.calls).toEqual(['uninstall', 'revoke acme-abc123', 'delete']);
  });

  it('keeps a tenant whose provision completed before (a re-run that failed), marker untouched', async () => {
    const w = world(marker('completed'), [revision(1, 'deployed')]);
    expect(await compensateProvision(w.deps, ref, 'p-1', failure, signal)).toMatch(/kept/);
    expect(w.calls).toEqual([]);
    expect((await w.tenants.get('acme-abc123'))?.operation?.state).toBe('completed');
  });

  it('keeps a tenant whose release reached deployed even if the provision never completed, rolling a failed upgrade back', async () => {
    const w = world(marker('active'), [revision(1, 'superseded'), revision(2, 'failed')]);
    expect(await compensateProvision(w.deps, ref, 'p-1', failure, signal)).toMatch(/kept: release .* reached deployed at revision 1/);
    expect(w.calls).toEqual(['rollback 1']);
    expect((await w.tenants.get('acme-abc123'))?.operation).toMatchObject({ state: 'failed', step: 'deploy-chart' });
  });

  it('keeps a tenant another request owns now', async () => {
    const w = world(marker('queued', 'u-2'), []);
    expect(await compensateProvision(w.deps, ref, 'p-1', failure, signal)).toMatch(/u-2 now owns/);
    expect(w.calls).toEqual([]);
  });
});

describe('a provision whose last write fails on its last attempt', () => {
  it('fails the job but removes nothing: the steps completed and the release is deployed', async () => {
    const w = world(marker('queued'), [revision(1, 'deployed')]);
    const events: JobEvent[] = [];
    const history: JobHistory = {
      channel: 'c',
      append: async (_id, e) => {
        if (e.type === 'completed') throw new Error("READONLY You can't write against a read only replica.");
        events.push(e);
        return { ...e, id: `${events.length}-0`, jobId: 'p-1' };
      },
      read: async () => [],
    };
    const workloads = {
      waitForDatabase: async () => ({ readyInstances: 1, instances: 1, phase: 'healthy' }),
      waitForDeployment: async () => ({ readyReplicas: 1, replicas: 1 }),
    };
    const kube = {
      version: { getCode: async () => ({ gitVersion: 'v1.37.2' }) },
      core: { readNamespacedSecret: async () => ({}), createNamespacedSecret: async () => ({}) },
    };
    const helm = { ...(w.deps.helm as object), version: async () => 'v4', upgradeInstall: async () => revision(1, 'deployed') };
    const deps = {
      config,
      logger: createLogger({ level: 'silent', pretty: false }),
      history,
      leases: new FakeLeases(60_000),
      tenants: w.tenants,
      helm,
      workloads,
      kube,
    } as unknown as ProcessorDeps;
    const payload = {
      ...ref,
      requestedAt: at,
      desired: { tier: 'professional', customDomain: null, resourceOverrides: {}, hibernated: false },
      companyName: 'Acme',
      ownerEmail: 'a@example.com',
      ownerName: 'Ada',
      stripeCustomerId: null,
      stripeSubscriptionId: null,
      expiresAt: null,
    };
    const job = {
      id: 'p-1',
      name: 'provision',
      data: payload,
      attemptsMade: 2,
      opts: { attempts: 3 },
      moveToDelayed: async () => undefined,
      updateProgress: async () => undefined,
    } as unknown as Job;
    await expect(createJobProcessor(deps)(job, 'token')).rejects.toThrow();
    expect(w.calls).toEqual([]);
    expect(await w.tenants.get('acme-abc123')).toBeDefined();
  });
});
