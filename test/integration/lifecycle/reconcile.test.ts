import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { TENANT_LABELS } from '../../../src/domain/tenant-record.ts';
import { createTenantStore } from '../../../src/kubernetes/tenant-store.ts';
import { watchWorkloads } from '../../../src/kubernetes/workload-cache.ts';
import { reconcileTenants } from '../../../src/worker/sweeps/reconcile-sweep.ts';
import { eventually } from '../../support/kube.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { requestProvision, sweepDeps, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const config = testConfig({
  kubeconfig,
  redisUrl: inject('redisUrl'),
  env: { CONFIG_FILE: writeConfigOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('rc'))) },
});
const harness = useWorkerHarness({ kubeconfig, config });
const { created } = harness;

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('reconciler', () => {
  it('repairs drift it finds (replicas changed by hand, database hibernated by hand) with one job however many sweeps run at once', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'free', { prefix: 'rc' });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    expect((await reconcileTenants(sweepDeps(deps))).repaired).toEqual([]);

    await deps.kube.apps.patchNamespacedDeployment({ namespace: t.namespace, name: `${t.tenantId}-api-blue`, body: { spec: { replicas: 3 } } }, merge);
    const reports = await Promise.all([1, 2, 3].map(() => reconcileTenants(sweepDeps(deps))));
    const repairs = reports.flatMap((r) => r.repaired).filter((r) => r.tenantId === t.tenantId);
    expect(repairs.length).toBeGreaterThanOrEqual(1);
    expect(repairs[0]!.reason).toBe('API has 3 replicas, desired 1');
    const marker = (await deps.registry.get(t.tenantId))!.operation!;
    expect(marker).toMatchObject({ type: 'update', jobId: expect.stringMatching(/^repair-/) });
    const jobs = (await deps.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter(
      (j) => j.data.tenantId === t.tenantId && j.name === 'update',
    );
    expect(jobs.map((j) => j.id)).toEqual([marker.jobId]);
    expect(await waitForJob(deps.queue, marker.jobId), JSON.stringify((await deps.history.read(marker.jobId)).filter((e) => e.type !== 'progress'))).toBe(
      'completed',
    );
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({ api: { replicas: 1, ready: 1 } });

    // Someone hibernates the database by hand; the tenant's desired state says running.
    await deps.kube.custom.patchNamespacedCustomObject(
      {
        group: 'postgresql.cnpg.io',
        version: 'v1',
        plural: 'clusters',
        namespace: t.namespace,
        name: `${t.tenantId}-postgres`,
        body: { metadata: { annotations: { 'cnpg.io/hibernation': 'on' } } },
      },
      merge,
    );
    const [again] = (await reconcileTenants(sweepDeps(deps))).repaired.filter((r) => r.tenantId === t.tenantId);
    expect(again?.reason).toBe('database hibernated, desired running');
    const repair = (await deps.registry.get(t.tenantId))!.operation!.jobId;
    expect(
      await waitForJob(deps.queue, repair, 30_000).catch(String),
      JSON.stringify((await deps.history.read(repair)).filter((e) => e.type === 'log').map((e) => e.type === 'log' && e.data.message)),
    ).toBe('completed');
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({ database: { hibernated: false, readyInstances: 1 }, release: { status: 'deployed' } });
  });

  it('with the workload watches following, reads nothing for a tenant as desired and names drift from the cache', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'free', { prefix: 'rw' });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    const cache = watchWorkloads(deps.kube, { logger: deps.logger });
    try {
      await eventually('the workload cache to follow', async () => (cache.following() ? true : undefined));
      // Every per-tenant read the sweep could make, counted for this tenant's namespace.
      const reads: string[] = [];
      const base = sweepDeps(deps);
      const counted = {
        ...base,
        workloadCache: cache,
        workloads: {
          readDatabase: (ns: string, name: string) => (ns === t.namespace && reads.push(`database ${name}`), base.workloads.readDatabase(ns, name)),
          readDeployment: (ns: string, name: string) => (ns === t.namespace && reads.push(`deployment ${name}`), base.workloads.readDeployment(ns, name)),
        },
        kube: {
          core: new Proxy(deps.kube.core, {
            get: (target, key, receiver) => {
              const value = Reflect.get(target, key, receiver);
              if (typeof value !== 'function') return value;
              return (arg: { namespace?: string }, ...rest: unknown[]) => {
                if (arg?.namespace === t.namespace) reads.push(String(key));
                return value.call(target, arg, ...rest);
              };
            },
          }),
        },
      };
      await eventually('the cache to hold the tenant', async () => (cache.deployment(t.namespace, `${t.tenantId}-api-blue`) ? true : undefined));
      expect((await reconcileTenants(counted)).repaired.filter((r) => r.tenantId === t.tenantId)).toEqual([]);
      expect(reads).toEqual([]);

      await deps.kube.apps.patchNamespacedDeployment({ namespace: t.namespace, name: `${t.tenantId}-web-blue`, body: { spec: { replicas: 2 } } }, merge);
      await eventually('the cache to see the change', async () =>
        cache.deployment(t.namespace, `${t.tenantId}-web-blue`)?.spec?.replicas === 2 ? true : undefined,
      );
      const [found] = (await reconcileTenants(counted)).repaired.filter((r) => r.tenantId === t.tenantId);
      expect(found?.reason).toBe('Web has 2 replicas, desired 1');
      // Only the release, to name the cause; the workloads came from the watches.
      expect(reads).toEqual(['listNamespacedSecret']);
      const repair = (await deps.registry.get(t.tenantId))!.operation!.jobId;
      expect(await waitForJob(deps.queue, repair, 30_000)).toBe('completed');
    } finally {
      await cache.stop();
    }
  });

  it('leaves alone a tenant whose last operation failed (it waits for a person or a new request)', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'free', { prefix: 'rf' });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    const current = (await deps.registry.read(t.tenantId))!;
    await deps.registry.write(t.tenantId, current.resourceVersion, {
      operation: { type: 'update', jobId: 'u-failed', state: 'failed', at: new Date().toISOString(), step: 'upgrade-release', message: 'chart rejected' },
    });
    await deps.kube.apps.patchNamespacedDeployment({ namespace: t.namespace, name: `${t.tenantId}-web-blue`, body: { spec: { replicas: 2 } } }, merge);
    expect((await reconcileTenants(sweepDeps(deps))).repaired.filter((r) => r.tenantId === t.tenantId)).toEqual([]);
  });

  it("leaves another installation's tenants alone: its sweep neither lists them nor re-queues their lost intents", async () => {
    const { deps } = harness;
    // A second installation on the same cluster, with a prefix of its own and a queue this one never sees.
    const otherPrefix = `${ownPrefixes('ot').platform.namespacePrefix}`;
    const other = createTenantStore(deps.kube.core, otherPrefix);
    const tenantId = `ot-free-${randomBytes(3).toString('hex')}`;
    const longAgo = new Date(Date.now() - 60_000).toISOString();
    await other.create({
      tenantId,
      companyName: 'Other installation',
      ownerEmail: 'owner@example.com',
      ownerName: 'Ada Lovelace',
      customDomain: null,
      stripeCustomerId: null,
      stripeSubscriptionId: null,
      expiresAt: null,
      desired: { tier: 'free', customDomain: null, resourceOverrides: {}, hibernated: false },
      // Its job lives in the other installation's Redis: to this one it looks lost.
      operation: { type: 'provision', jobId: `ot-${tenantId}`, state: 'queued', at: longAgo },
    });
    try {
      const listed = [];
      for await (const t of deps.registry.all()) listed.push(t.tenantId);
      expect(listed).not.toContain(tenantId);
      const report = await reconcileTenants(sweepDeps(deps));
      expect(report.requeued).not.toContain(tenantId);
      expect(await deps.queue.getJob(`ot-${tenantId}`)).toBeUndefined();
      const labelled = await deps.kube.core.listNamespace({ labelSelector: `${TENANT_LABELS.tenantId}=${tenantId}` });
      expect(labelled.items.map((n) => n.metadata?.name)).toEqual([`${otherPrefix}${tenantId}`]);
    } finally {
      await other.delete(tenantId);
    }
  });
});
