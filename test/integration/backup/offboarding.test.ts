import { randomBytes } from 'node:crypto';
import { NetworkingV1Api } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { requestDeprovision, requestUndelete } from '../../../src/lifecycle/intake.ts';
import { sweepExpired } from '../../../src/worker/sweeps/expiry-sweep.ts';
import { FAST_LIFECYCLE, mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { expectJobCompleted, lifecycleDeps, requestProvision, secretSnapshot, sweepDeps, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// Safe offboarding on the sandbox, through the real intake, worker, Helm and API server (the final
// Backup's completion is the simulated operator's; a cluster named fail-backup-* fails it): a
// professional tenant with a retention window is closed, backed up, hibernated and kept; undelete
// gives it back with the same Secrets; a failed final backup keeps it closed and unpurged; the
// expiry sweep purges a closed account once its (short) window passed.
const kubeconfig = inject('kubeconfig');
const WINDOW_SECONDS = 4;
const override = mergeOverride(FAST_LIFECYCLE, {
  platform: { closedPage: { externalName: 'tenant-provisioner.tenant-provisioner.svc.cluster.local', port: 8080 } },
  tiers: { professional: { offboarding: { retentionSeconds: WINDOW_SECONDS } } },
});
const config = testConfig({ kubeconfig, redisUrl: inject('redisUrl'), env: { CONFIG_FILE: writeConfigOverride(override) } });
const harness = useWorkerHarness({ kubeconfig, config });

async function provisioned(d: ServiceDeps, tenantId?: string) {
  const t = await requestProvision(d, 'professional', tenantId ? { tenantId } : {});
  harness.created.push(t.tenantId);
  await expectJobCompleted(d.queue, t.jobId, 120_000);
  return t;
}

/** The services the tenant's Ingress routes its first host to, in path order. */
async function routedTo(d: ServiceDeps, tenantId: string, namespace: string) {
  const ingress = await d.kube.kc.makeApiClient(NetworkingV1Api).readNamespacedIngress({ name: `${tenantId}-ingress`, namespace });
  return ingress.spec?.rules?.[0]?.http?.paths.map((p) => p.backend.service?.name);
}

async function backupsOf(d: ServiceDeps, namespace: string) {
  const list = (await d.kube.custom.listNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', namespace, plural: 'backups' })) as {
    items: Array<{ metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string } }>;
  };
  return list.items.map((b) => ({ name: b.metadata.name, requestedBy: b.metadata.labels?.['tenant-provisioner.io/requested-by'], phase: b.status?.phase }));
}

describe('safe offboarding', () => {
  it('closes a tenant (closed page, final backup completed, database asleep), and undelete gives it back with identical Secrets', async () => {
    const d = harness.deps;
    const t = await provisioned(d);
    const secrets = await secretSnapshot(d, t.namespace);
    const uid = (await tenantShape(d, t.tenantId)).database!.uid;

    const close = await requestDeprovision(lifecycleDeps(d), t.tenantId);
    await expectJobCompleted(d.queue, close.jobId, 120_000);
    const job = await d.queue.getJob(close.jobId);
    expect(job?.returnvalue).toMatchObject({ removed: false, closedUntil: expect.any(String), finalBackup: { name: expect.stringMatching(/-final-/) } });
    expect(await backupsOf(d, t.namespace)).toContainEqual({ name: job!.returnvalue.finalBackup.name, requestedBy: 'offboarding', phase: 'completed' });
    expect(await tenantShape(d, t.tenantId)).toMatchObject({ database: { uid, hibernated: true }, api: { replicas: 0 }, web: { replicas: 0 } });
    expect(await routedTo(d, t.tenantId, t.namespace)).toEqual([`${t.tenantId}-closed`]);
    const page = await d.kube.core.readNamespacedService({ name: `${t.tenantId}-closed`, namespace: t.namespace });
    expect(page.spec).toMatchObject({ type: 'ExternalName', externalName: 'tenant-provisioner.tenant-provisioner.svc.cluster.local' });
    expect((await d.registry.get(t.tenantId))?.desired.closed).toBeDefined();

    const undelete = await requestUndelete(lifecycleDeps(d), t.tenantId);
    await expectJobCompleted(d.queue, undelete.jobId, 120_000);
    expect(await tenantShape(d, t.tenantId)).toMatchObject({ database: { uid, hibernated: false }, api: { replicas: 2 }, web: { replicas: 2 } });
    expect(await secretSnapshot(d, t.namespace)).toEqual(secrets);
    expect(await routedTo(d, t.tenantId, t.namespace)).toEqual([`${t.tenantId}-api`, `${t.tenantId}-web`]);
    expect((await d.registry.get(t.tenantId))?.desired.closed).toBeUndefined();
  });

  it('keeps a tenant whose final backup failed closed and unpurged, and the sweep purges a closed one once its window passed', async () => {
    const d = harness.deps;
    const failing = await provisioned(d, `fail-backup-${randomBytes(3).toString('hex')}`);
    const closing = await provisioned(d);

    const failed = await requestDeprovision(lifecycleDeps(d), failing.tenantId);
    expect(await waitForJob(d.queue, failed.jobId, 120_000)).toBe('failed');
    expect((await d.queue.getJob(failed.jobId))?.failedReason).toMatch(/final backup .* failed: .*the account stays closed and nothing is purged/);
    const closed = await requestDeprovision(lifecycleDeps(d), closing.tenantId);
    await expectJobCompleted(d.queue, closed.jobId, 120_000);

    // Past the window, on the sweep's own clock: only the account whose close completed is purged.
    await new Promise((r) => setTimeout(r, WINDOW_SECONDS * 1000));
    const report = await sweepExpired({ ...sweepDeps(d), logger: d.logger });
    expect(report.purge).toEqual([closing.tenantId]);
    const purge = (await d.registry.get(closing.tenantId))!.operation!;
    expect(purge).toMatchObject({ type: 'purge', reason: 'retention' });
    await expectJobCompleted(d.queue, purge.jobId, 120_000);
    expect(await d.registry.get(closing.tenantId)).toBeUndefined();
    const kept = await d.registry.get(failing.tenantId);
    expect(kept?.desired.closed).toBeDefined();
    expect(kept?.operation).toMatchObject({ type: 'deprovision', state: 'failed', step: 'final-backup' });
    expect((await tenantShape(d, failing.tenantId)).api).toMatchObject({ replicas: 0 });
  });
});
