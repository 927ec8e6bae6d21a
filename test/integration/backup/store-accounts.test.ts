import { randomBytes, randomUUID } from 'node:crypto';
import { GetBucketPolicyCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tenantAccessKeyId } from '../../../src/backup/store-accounts.ts';
import { tenantSecretNames } from '../../../src/domain/tenant-secrets.ts';
import { requestBackup } from '../../../src/lifecycle/backup-intake.ts';
import { requestPurge } from '../../../src/lifecycle/intake.ts';
import { requestProvision as provisionIntake } from '../../../src/lifecycle/provision-intake.ts';
import { FAST_LIFECYCLE, mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';
import { startObjectStore, type ObjectStore, type ObjectStoreCredentials } from '../../support/object-store.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { expectJobCompleted, lifecycleDeps, requestProvision } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// Per-tenant store accounts against a real versitygw: the platform Secret holds the gateway's admin
// keys; each backup tenant's provision makes an account of its own (keys only in its namespace), the
// preflight's marker round trip proves it reaches its prefix, it reaches no other tenant's, a clone
// may read its source's backups only until its database is made, and a purge deletes the account.
const kubeconfig = inject('kubeconfig');
const kube = kubeClients(kubeconfig);
const adminNamespace = uniqueName('sa-admin');
let store: ObjectStore;

beforeAll(async () => {
  store = await startObjectStore();
  await kube.core.createNamespace({ body: { metadata: { name: adminNamespace } } });
  const root = store.rootCredentials;
  await kube.core.createNamespacedSecret({
    namespace: adminNamespace,
    body: { metadata: { name: 'store-admin' }, stringData: { ACCESS_KEY_ID: root.accessKeyId, ACCESS_SECRET_KEY: root.secretAccessKey } },
  });
}, 300_000);
afterAll(async () => {
  await kube.core.deleteNamespace({ name: adminNamespace }).catch(() => undefined);
  await store?.stop();
});

const harness = useWorkerHarness({
  kubeconfig,
  config: () => {
    const backup = {
      destinationPrefix: `s3://${store.bucket}/tenants`,
      endpointUrl: store.endpoint,
      credentialsSecret: { namespace: adminNamespace, name: 'store-admin' },
      tenantAccounts: 'versitygw',
    };
    const override = mergeOverride(FAST_LIFECYCLE, { platform: { backup } });
    return testConfig({ kubeconfig, redisUrl: inject('redisUrl'), env: { CONFIG_FILE: writeConfigOverride(override), BACKUP_PREFLIGHT: 'true' } });
  },
});

async function keysOf(d: ServiceDeps, tenantId: string, namespace: string): Promise<ObjectStoreCredentials> {
  const secret = await d.kube.core.readNamespacedSecret({ namespace, name: tenantSecretNames(tenantId).backupCredentials });
  const text = (key: string) => Buffer.from(secret.data![key]!, 'base64').toString('utf8');
  return { accessKeyId: text('ACCESS_KEY_ID'), secretAccessKey: text('ACCESS_SECRET_KEY') };
}

const clientOf = (credentials: ObjectStoreCredentials) => new S3Client({ endpoint: store.endpoint, region: store.region, forcePathStyle: true, credentials });

/** What these keys may do under `tenants/<owner>/`: 'ok' or the store's error name, per call. */
async function rights(credentials: ObjectStoreCredentials, owner: string) {
  const client = clientOf(credentials);
  const key = `tenants/${owner}/probe-${randomBytes(3).toString('hex')}`;
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { name?: string }) => e.name ?? 'error',
    );
  try {
    const put = await outcome(client.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: 'x' })));
    const list = await outcome(client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: `tenants/${owner}/` })));
    return { put, list };
  } finally {
    client.destroy();
  }
}

async function policyPrincipals(): Promise<string[]> {
  const client = clientOf(store.rootCredentials);
  try {
    const policy = await client.send(new GetBucketPolicyCommand({ Bucket: store.bucket })).then(
      (r) => JSON.parse(r.Policy!) as { Statement: Array<{ Principal: { AWS: string[] } }> },
      () => ({ Statement: [] }),
    );
    return [...new Set(policy.Statement.flatMap((s) => s.Principal.AWS))].sort();
  } finally {
    client.destroy();
  }
}

describe('per-tenant store accounts on versitygw', () => {
  it('gives each backup tenant keys of its own for its prefix alone, lets a clone read its source only while it is made, and deletes the account at the purge', async () => {
    const d = harness.deps;
    const [a, b] = [await requestProvision(d, 'professional', { prefix: 'sa' }), await requestProvision(d, 'professional', { prefix: 'sa' })];
    harness.created.push(a.tenantId, b.tenantId);
    // The preflight (on) wrote, read and deleted its marker with the tenant's own keys: provision completed.
    await expectJobCompleted(d.queue, a.jobId, 180_000);
    await expectJobCompleted(d.queue, b.jobId, 180_000);

    const [keysA, keysB] = [await keysOf(d, a.tenantId, a.namespace), await keysOf(d, b.tenantId, b.namespace)];
    expect(keysA.accessKeyId).toBe(tenantAccessKeyId(a.tenantId));
    expect(keysB.accessKeyId).toBe(tenantAccessKeyId(b.tenantId));
    expect(new Set([keysA.secretAccessKey, keysB.secretAccessKey, store.rootCredentials.secretAccessKey]).size).toBe(3);
    // Nothing of the admin account reaches a tenant's namespace.
    const secrets = await d.kube.core.listNamespacedSecret({ namespace: a.namespace });
    expect(JSON.stringify(secrets.items.map((s) => s.data))).not.toContain(Buffer.from(store.rootCredentials.secretAccessKey).toString('base64'));

    expect(await rights(keysA, a.tenantId)).toEqual({ put: 'ok', list: 'ok' });
    expect(await rights(keysA, b.tenantId)).toEqual({ put: 'AccessDenied', list: 'AccessDenied' });
    expect(await rights(keysB, a.tenantId)).toEqual({ put: 'AccessDenied', list: 'AccessDenied' });

    // A clone (into a tier without backups) may read its source's backups, and write nowhere.
    const backup = await requestBackup(lifecycleDeps(d), a.tenantId);
    await expectJobCompleted(d.queue, backup.jobId, 120_000);
    const cloneId = `sa-clon-${randomBytes(3).toString('hex')}`;
    harness.created.push(cloneId);
    const request = {
      companyName: 'Clone Shop',
      ownerEmail: 'owner@example.com',
      ownerFirstName: 'Ada',
      ownerLastName: 'Lovelace',
      subscriptionTier: 'demo' as const,
      cloneFrom: { tenantId: a.tenantId },
    };
    const intake = { config: d.config, tenants: d.registry, producer: d.producer, backups: d.workloads };
    const clone = await provisionIntake(intake, request, { tenantId: cloneId, jobId: randomUUID() });
    await expectJobCompleted(d.queue, clone.jobId, 180_000);
    const keysC = await keysOf(d, cloneId, clone.namespace);
    // The source's backups were readable while the clone's database was made from them, and not after:
    // the source lives on, and what it backs up later is not the clone's.
    const steps = (await d.history.read(clone.jobId)).map((e) => JSON.stringify(e.data));
    expect(steps.some((e) => e.includes("the source's backups are no longer readable with the clone's keys"))).toBe(true);
    const written = `tenants/${a.tenantId}/after-the-clone`;
    const writer = clientOf(keysA);
    await writer.send(new PutObjectCommand({ Bucket: store.bucket, Key: written, Body: 'source data' }));
    writer.destroy();
    const readerC = clientOf(keysC);
    const read = await readerC.send(new GetObjectCommand({ Bucket: store.bucket, Key: written })).then(
      () => 'ok',
      (e: { name?: string }) => e.name,
    );
    readerC.destroy();
    expect(read).toBe('AccessDenied');
    expect(await rights(keysC, a.tenantId)).toEqual({ put: 'AccessDenied', list: 'AccessDenied' });
    expect(await rights(keysC, b.tenantId)).toEqual({ put: 'AccessDenied', list: 'AccessDenied' });
    expect(await rights(keysC, cloneId)).toEqual({ put: 'ok', list: 'ok' });

    // The purge: A's account and statements go; B's stay and work.
    expect(await policyPrincipals()).toEqual([keysA.accessKeyId, keysB.accessKeyId, keysC.accessKeyId].sort());
    const purge = await requestPurge(lifecycleDeps(d), a.tenantId, { reason: 'api' });
    await expectJobCompleted(d.queue, purge.jobId, 180_000);
    expect(await policyPrincipals()).toEqual([keysB.accessKeyId, keysC.accessKeyId].sort());
    expect((await rights(keysA, a.tenantId)).put).toBe('InvalidAccessKeyId');
    expect(await rights(keysB, b.tenantId)).toEqual({ put: 'ok', list: 'ok' });
  });
});
