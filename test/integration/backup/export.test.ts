import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTenantExports } from '../../../src/backup/tenant-exports.ts';
import { CNPG_HIBERNATION } from '../../../src/kubernetes/readiness.ts';
import { requestExport } from '../../../src/lifecycle/export-intake.ts';
import { requestDeprovision } from '../../../src/lifecycle/intake.ts';
import { dumpArrives, holdExportPods } from '../../support/export-dump.ts';
import { FAST_LIFECYCLE, mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';
import type { PrefixUser } from '../../support/object-store-users.ts';
import { startPlatformStore, type PlatformStore } from '../../support/platform-store.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { expectJobCompleted, lifecycleDeps, requestProvision, tenantShape } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// Exports on the sandbox with a real S3 server (versitygw): the worker runs the export Job in the
// tenant's namespace (KWOK's pod stages complete it, so nothing runs pg_dump here: the test puts the
// dump at the Job's key while its pod is held back), checks the dump in the store with the tenant's
// keys, and the download URL is minted against the real server, works, and expires.
const kubeconfig = inject('kubeconfig');
const kube = kubeClients(kubeconfig);
const URL_SECONDS = 2;
let platform: PlatformStore;
let platformUser: PrefixUser;

beforeAll(async () => {
  platform = await startPlatformStore(kube.core, uniqueName('ex-src'));
  platformUser = platform.user;
}, 300_000);
afterAll(async () => {
  await platform?.stop();
});

const harness = useWorkerHarness({
  kubeconfig,
  config: () => {
    const backup = { ...platform.backup, exports: { urlExpirySeconds: URL_SECONDS } };
    const override = mergeOverride(FAST_LIFECYCLE, {
      platform: { backup, closedPage: { externalName: 'tenant-provisioner.tenant-provisioner.svc.cluster.local', port: 8080 } },
      tiers: { professional: { offboarding: { retentionSeconds: 3_600 } } },
    });
    return testConfig({ kubeconfig, redisUrl: inject('redisUrl'), env: { CONFIG_FILE: writeConfigOverride(override) } });
  },
});

async function exportOnce(d: ServiceDeps, tenantId: string, namespace: string, body: string) {
  await holdExportPods(kube, namespace);
  const accepted = await requestExport(lifecycleDeps(d), tenantId);
  const { job: made, key } = await dumpArrives(kube, platform, { namespace, exportId: accepted.exportId, body });
  // The Job spec holds the key by reference only.
  expect(JSON.stringify(made)).not.toContain(platformUser.secretAccessKey);
  expect(key).toBe(`tenants/${tenantId}/exports/${accepted.exportId}.dump`);
  await expectJobCompleted(d.queue, accepted.jobId, 120_000);
  const job = (await d.queue.getJob(accepted.jobId))!;
  expect(job.returnvalue).toMatchObject({ tenantId, exportId: accepted.exportId, key, sizeBytes: body.length });
  const seen = JSON.stringify([job.data, job.returnvalue, await d.history.read(accepted.jobId)]);
  expect(seen).not.toContain(platformUser.secretAccessKey);
  return accepted.exportId;
}

describe('tenant exports against a real S3 server', () => {
  it('dumps an open tenant to its prefix; the download URL works against the store, then expires', async () => {
    const d = harness.deps;
    const t = await requestProvision(d, 'professional', { prefix: 'ex' });
    harness.created.push(t.tenantId);
    await expectJobCompleted(d.queue, t.jobId, 180_000);
    const exportId = await exportOnce(d, t.tenantId, t.namespace, 'PGDMP open tenant');

    const exports = createTenantExports({ config: d.config, kube: d.kube });
    expect(await exports.list(t.tenantId)).toEqual([{ exportId, sizeBytes: 17, completedAt: expect.any(String) }]);
    const described = await exports.describe(t.tenantId, exportId);
    expect(described).toMatchObject({ exportId, state: 'completed', sizeBytes: 17, error: null });
    const url = described.download!.url;
    expect(url).not.toContain(platformUser.secretAccessKey);
    expect(url).toContain(`X-Amz-Expires=${URL_SECONDS}`);
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('PGDMP open tenant');
    await new Promise((r) => setTimeout(r, URL_SECONDS * 1000 + 1_200));
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('AccessDenied');
    // An id that is not an export of this tenant is no export.
    await expect(exports.describe(t.tenantId, `${t.tenantId}-20200101000000-0000`)).rejects.toThrow(/has no export/);
  });

  it('wakes a closed account’s database for the dump and puts it back to sleep; the application stays at zero', async () => {
    const d = harness.deps;
    const t = await requestProvision(d, 'professional', { prefix: 'ex' });
    harness.created.push(t.tenantId);
    await expectJobCompleted(d.queue, t.jobId, 180_000);
    const close = await requestDeprovision(lifecycleDeps(d), t.tenantId);
    await expectJobCompleted(d.queue, close.jobId, 180_000);
    const before = await tenantShape(d, t.tenantId);
    expect(before).toMatchObject({ database: { hibernated: true }, api: { replicas: 0 }, web: { replicas: 0 } });

    await exportOnce(d, t.tenantId, t.namespace, 'PGDMP closed account');
    const after = await tenantShape(d, t.tenantId);
    expect(after).toMatchObject({ database: { uid: before.database!.uid, hibernated: true }, api: { replicas: 0 }, web: { replicas: 0 } });
    const cluster = (await kube.custom.getNamespacedCustomObject({
      group: 'postgresql.cnpg.io',
      version: 'v1',
      plural: 'clusters',
      namespace: t.namespace,
      name: `${t.tenantId}-postgres`,
    })) as { metadata: { annotations?: Record<string, string> } };
    expect(cluster.metadata.annotations?.[CNPG_HIBERNATION]).toBe('on');
    // Still a closed account: its marker is the close's.
    expect((await d.registry.get(t.tenantId))?.operation).toMatchObject({ type: 'deprovision', jobId: close.jobId, state: 'completed' });
  });
});
