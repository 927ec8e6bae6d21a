import { describe, expect, inject, it } from 'vitest';
import { TenantConflictError, type ChangeRejectedError } from '../../../src/domain/errors.ts';
import { requestBackup } from '../../../src/lifecycle/backup-intake.ts';
import { requestRestore } from '../../../src/lifecycle/restore-intake.ts';
import { FAST_LIFECYCLE, mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { expectJobCompleted, lifecycleDeps, requestProvision, secretSnapshot, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// Restores on the sandbox: the restored Cluster is real to the API server (CloudNativePG's CRD), its
// readiness is the simulated operator's (a Cluster named fail-restore-* never becomes ready).
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
// A short wait for the restored database, so the failing case fails within the test.
const override = mergeOverride(FAST_LIFECYCLE, { timeouts: { restore: 20 } });
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(override) } });
const harness = useWorkerHarness({ kubeconfig, config });

type Cluster = { metadata: { name: string; uid: string }; spec: { bootstrap: Record<string, unknown> } };
const restoreDeps = (d: ServiceDeps) => ({ ...lifecycleDeps(d), workloads: d.workloads });

async function clusters(d: ServiceDeps, namespace: string): Promise<Cluster[]> {
  const list = (await d.kube.custom.listNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', namespace, plural: 'clusters' })) as {
    items: Cluster[];
  };
  return list.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

async function databaseHost(d: ServiceDeps, namespace: string, tenantId: string) {
  return (await d.kube.core.readNamespacedConfigMap({ namespace, name: `${tenantId}-api-config` })).data?.DbOptions__Host;
}

/** A professional tenant with one completed backup; resolves its ids and the backup's id. */
async function backedUp(prefix: string) {
  const d = harness.deps;
  const t = await requestProvision(d, 'professional', { prefix });
  harness.created.push(t.tenantId);
  await expectJobCompleted(d.queue, t.jobId, 120_000);
  const backup = await requestBackup(lifecycleDeps(d), t.tenantId);
  await expectJobCompleted(d.queue, backup.jobId, 120_000);
  const [listed] = await d.workloads.listBackups(t.namespace, `${t.tenantId}-postgres`);
  expect(listed).toMatchObject({ phase: 'completed', backupId: expect.stringMatching(/^[0-9]{8}T[0-9]{6}$/) });
  return { ...t, backupId: listed!.backupId!, stoppedAt: listed!.stoppedAt! };
}

describe('restore on the sandbox', () => {
  it('builds the restored database beside the serving one, moves the application, then removes the old one; the Secrets stay', async () => {
    const d = harness.deps;
    const t = await backedUp('rs');
    const secrets = await secretSnapshot(d, t.namespace);
    const accepted = await requestRestore(restoreDeps(d), t.tenantId, { backupId: t.backupId });
    await expectJobCompleted(d.queue, accepted.jobId, 120_000);

    const after = await clusters(d, t.namespace);
    expect(after.map((c) => c.metadata.name)).toEqual([`${t.tenantId}-postgres-g2`]);
    expect(after[0]!.spec.bootstrap).toMatchObject({ recovery: { source: 'origin', recoveryTarget: { backupID: t.backupId } } });
    expect(await databaseHost(d, t.namespace, t.tenantId)).toBe(`${t.tenantId}-postgres-g2-rw`);
    expect(await secretSnapshot(d, t.namespace)).toEqual(secrets);
    const tenant = (await d.registry.get(t.tenantId))!;
    expect(tenant.desired.database).toEqual({ generation: 2, recovery: { fromGeneration: 1, target: { backupId: t.backupId } } });
    expect(tenant.running?.database).toEqual(tenant.desired.database);
    expect(tenant.operation).toMatchObject({ type: 'restore', state: 'completed' });
    // Where the job went, in order: staged beside, moved, the old one removed.
    const steps = (await d.history.read(accepted.jobId)).flatMap((e) => (e.type === 'progress' && !e.data.message.endsWith('started') ? [e.data.step] : []));
    expect(steps).toEqual(
      expect.arrayContaining(['stage-restored-database', 'wait-for-restored-database', 'move-application', 'wait-for-api', 'remove-old-database']),
    );

    // A point in time from the restored database's own backups: generation 3 from 2.
    const backup = await requestBackup(lifecycleDeps(d), t.tenantId);
    await expectJobCompleted(d.queue, backup.jobId, 120_000);
    const [latest] = await d.workloads.listBackups(t.namespace, `${t.tenantId}-postgres-g2`);
    const targetTime = new Date(Date.parse(latest!.stoppedAt!) + 1000).toISOString();
    await new Promise((r) => setTimeout(r, 1500));
    const pitr = await requestRestore(restoreDeps(d), t.tenantId, { targetTime });
    await expectJobCompleted(d.queue, pitr.jobId, 120_000);
    const third = await clusters(d, t.namespace);
    expect(third.map((c) => c.metadata.name)).toEqual([`${t.tenantId}-postgres-g3`]);
    expect(third[0]!.spec.bootstrap).toMatchObject({ recovery: { recoveryTarget: { targetTime } } });
  });

  it('refuses what cannot be restored, changing nothing', async () => {
    const d = harness.deps;
    const t = await backedUp('rr');
    const before = await d.registry.get(t.tenantId);
    const refusal = (request: Parameters<typeof requestRestore>[2]) => requestRestore(restoreDeps(d), t.tenantId, request).catch((e: unknown) => e);
    expect(((await refusal({ backupId: '20200101T000000' })) as ChangeRejectedError).errors).toEqual([
      { path: 'backupId', message: `is no completed backup of ${t.tenantId}-postgres` },
    ]);
    expect(((await refusal({ targetTime: '2020-01-01T00:00:00Z' })) as ChangeRejectedError).errors[0]?.message).toMatch(/is before the first completed backup/);
    expect(((await refusal({ targetTime: '2099-01-01T00:00:00Z' })) as ChangeRejectedError).errors[0]?.message).toBe('is in the future');
    const free = await requestProvision(d, 'free', { prefix: 'rr' });
    harness.created.push(free.tenantId);
    const noBackups = await requestRestore(restoreDeps(d), free.tenantId, { backupId: t.backupId }).catch((e: unknown) => e);
    expect(noBackups).toBeInstanceOf(TenantConflictError);
    expect(await d.registry.get(t.tenantId)).toEqual(before);
  });

  it('keeps the old database serving, untouched, when the restored one never becomes ready', async () => {
    const d = harness.deps;
    const t = await backedUp('fail-restore');
    const [old] = await clusters(d, t.namespace);
    const host = await databaseHost(d, t.namespace, t.tenantId);
    const accepted = await requestRestore(restoreDeps(d), t.tenantId, { backupId: t.backupId });
    expect(await waitForJob(d.queue, accepted.jobId, 120_000)).toBe('failed');
    expect((await d.queue.getJob(accepted.jobId))!.failedReason).toMatch(/did not become ready|within 20 s|timed out/i);
    // The staged Cluster is gone; the serving one is the same object, and the application still uses it.
    const after = await clusters(d, t.namespace);
    expect(after.map((c) => [c.metadata.name, c.metadata.uid])).toEqual([[old!.metadata.name, old!.metadata.uid]]);
    expect(await databaseHost(d, t.namespace, t.tenantId)).toBe(host);
    const tenant = (await d.registry.get(t.tenantId))!;
    expect(tenant.desired.database).toEqual({ generation: 1 });
    expect(tenant.operation).toMatchObject({ type: 'restore', state: 'failed' });
  });
});
