import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { requestHibernate, requestResume, requestUpdate } from '../../../src/lifecycle/intake.ts';
import { mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';
import { startObjectStore, type ObjectStore } from '../../support/object-store.ts';
import { createPrefixUser, deletePrefixUser, type PrefixUser } from '../../support/object-store-users.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { databaseSnapshot, expectJobCompleted, lifecycleDeps, requestProvision, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// The backup store preflight as the worker runs it, against a real S3 server (versitygw) and the
// sandbox: the platform's key is a user allowed under tenants/ only, copied into each tenant's namespace.
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const kube = kubeClients(kubeconfig);
const source = uniqueName('bp-src');
let store: ObjectStore;
let platformUser: PrefixUser;

beforeAll(async () => {
  store = await startObjectStore();
  platformUser = await createPrefixUser(store, 'tenants');
  await kube.core.createNamespace({ body: { metadata: { name: source } } });
  const secret = (name: string, secretAccessKey: string) =>
    kube.core.createNamespacedSecret({
      namespace: source,
      body: { metadata: { name }, stringData: { ACCESS_KEY_ID: platformUser.accessKeyId, ACCESS_SECRET_KEY: secretAccessKey } },
    });
  await Promise.all([secret('good', platformUser.secretAccessKey), secret('wrong', 'w'.repeat(40))]);
}, 300_000);
afterAll(async () => {
  await kube.core.deleteNamespace({ name: source }).catch(() => undefined);
  await store?.stop();
});

/** A worker whose platform store is this file's versitygw, with the preflight on, reading the named source Secret. */
function storeConfig(secretName: string, prefix: string) {
  const backup = { destinationPrefix: `s3://${store.bucket}/tenants`, endpointUrl: store.endpoint, credentialsSecret: { namespace: source, name: secretName } };
  const override = mergeOverride({ platform: { namespacePrefix: prefix, releasePrefix: prefix } }, { platform: { backup } });
  return testConfig({ kubeconfig, redisUrl, env: { BACKUP_PREFLIGHT: 'true', CONFIG_FILE: writeConfigOverride(override) } });
}
// One namespace prefix (the processes share the tenants), a queue prefix each (testConfig's).
const prefix = `bp${Math.random().toString(16).slice(2, 6)}-`;
const good = useWorkerHarness({ kubeconfig, config: () => storeConfig('good', prefix) });
// Another process with another store configuration (its source Secret holds a wrong secret key).
const other = useWorkerHarness({ kubeconfig, config: () => storeConfig('wrong', prefix) });

async function stepLog(d: ServiceDeps, jobId: string, step: string) {
  // What the step said when it finished (its "started" event aside).
  return (await d.history.read(jobId)).flatMap((e) =>
    e.type === 'progress' && e.data.step === step && e.data.message !== `${step} started` ? [e.data.message] : [],
  );
}

async function objectsUnder(prefix: string) {
  const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: store.endpoint, region: store.region, forcePathStyle: true, credentials: store.rootCredentials });
  try {
    return (await client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix }))).KeyCount ?? 0;
  } finally {
    client.destroy();
  }
}

describe('the backup store preflight on the sandbox with a real S3 server', () => {
  let tenantId = '';

  it("provisions a backup tier after a marker round trip with the tenant's copy of the key, leaving nothing under its prefix", async () => {
    const t = await requestProvision(good.deps, 'professional', { prefix: 'bp' });
    good.created.push(t.tenantId);
    tenantId = t.tenantId;
    await expectJobCompleted(good.deps.queue, t.jobId, 180_000);
    expect(await stepLog(good.deps, t.jobId, 'check-backup-store')).toEqual([
      expect.stringContaining(`backup store s3://${store.bucket}/tenants/${t.tenantId}: marker written, read back and deleted`),
    ]);
    expect(await objectsUnder(`tenants/${t.tenantId}/`)).toBe(0);
    // The key the probe used is in no job's data, result or history.
    const job = (await good.deps.queue.getJob(t.jobId))!;
    const seen = JSON.stringify([job.data, job.returnvalue, await good.deps.history.read(t.jobId)]);
    expect(seen).not.toContain(platformUser.secretAccessKey);
    expect(seen).not.toContain(platformUser.accessKeyId);
  });

  it('fails a provision whose key the store refuses, for good and before any release or database', async () => {
    const t = await requestProvision(other.deps, 'professional', { prefix: 'bp' });
    other.created.push(t.tenantId);
    expect(await waitForJob(other.deps.queue, t.jobId, 120_000)).toBe('failed');
    const job = (await other.deps.queue.getJob(t.jobId))!;
    expect(job.failedReason).toMatch(/the object store refused the access key/);
    expect(job.failedReason).not.toContain('w'.repeat(40));
    expect(job.attemptsMade).toBe(1);
    expect((await other.deps.history.read(t.jobId)).find((e) => e.type === 'failed')).toMatchObject({ data: { step: 'check-backup-store' } });
    expect(await databaseSnapshot(other.deps, t.tenantId)).toEqual({ uid: undefined, generation: undefined });
    const releases = await kube.core.listNamespacedSecret({ namespace: t.namespace, labelSelector: 'owner=helm' });
    expect(releases.items).toEqual([]);
  });

  it('gates an update on its first probe in a process, warns on a resume, skips a hibernation; a process that saw it pass does not probe again', async () => {
    // The key is revoked: the tenant's copy no longer works.
    await deletePrefixUser(store, platformUser);
    const before = await databaseSnapshot(good.deps, tenantId);
    // Through the other process (a restart with changed configuration): the update probes and fails.
    const failing = await requestUpdate(lifecycleDeps(other.deps), tenantId, { subscriptionTier: 'enterprise' });
    expect(await waitForJob(other.deps.queue, failing.jobId, 120_000)).toBe('failed');
    expect((await other.deps.queue.getJob(failing.jobId))!.failedReason).toMatch(/refused the access key/);
    expect(await databaseSnapshot(good.deps, tenantId)).toEqual(before);
    // The process that saw the store pass does not ask it again: the same update completes.
    const passing = await requestUpdate(lifecycleDeps(good.deps), tenantId, { subscriptionTier: 'enterprise' });
    await expectJobCompleted(good.deps.queue, passing.jobId, 180_000);
    expect(await stepLog(good.deps, passing.jobId, 'check-backup-store')).toEqual([expect.stringContaining('passed its check in this process')]);
    // A hibernation does not ask; a resume through the process that cannot reach it only warns.
    const sleep = await requestHibernate(lifecycleDeps(other.deps), tenantId);
    await expectJobCompleted(other.deps.queue, sleep.jobId, 180_000);
    expect(await stepLog(other.deps, sleep.jobId, 'check-backup-store')).toEqual(['skipped: a hibernation writes no backups']);
    const wake = await requestResume(lifecycleDeps(other.deps), tenantId);
    await expectJobCompleted(other.deps.queue, wake.jobId, 180_000);
    expect(await stepLog(other.deps, wake.jobId, 'check-backup-store')).toEqual(['backup store check failed (credentials); going on']);
    const warned = (await other.deps.history.read(wake.jobId)).filter((e) => e.type === 'log' && e.data.level === 'warn');
    expect(warned.map((e) => e.type === 'log' && e.data.message)).toEqual([
      expect.stringMatching(/refused the access key.*backups of .* will fail until it is fixed/),
    ]);
  });
});
