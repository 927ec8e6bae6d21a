import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeObjectStore, type S3Location } from '../../../src/backup/object-store-probe.ts';
import { freePort } from '../../sandbox/ports.ts';
import { startObjectStore, type ObjectStore } from '../../support/object-store.ts';
import { createPrefixUser, deletePrefixUser, type PrefixUser } from '../../support/object-store-users.ts';

// The preflight against a real S3 server (the sandbox's versitygw): each failure its own kind.
let store: ObjectStore;
let alpha: PrefixUser;
const at = (over: Partial<S3Location> = {}): S3Location => ({
  endpoint: store.endpoint,
  region: store.region,
  bucket: store.bucket,
  prefix: 'tenants/alpha',
  ...over,
});

beforeAll(async () => {
  store = await startObjectStore();
  alpha = await createPrefixUser(store, 'tenants/alpha');
}, 300_000);
afterAll(async () => {
  if (alpha) await deletePrefixUser(store, alpha).catch(() => undefined);
  await store?.stop();
});

describe('probeObjectStore against versitygw', () => {
  it('passes the marker round trip with good credentials, and leaves nothing behind', async () => {
    expect(await probeObjectStore(at(), store.rootCredentials)).toBeUndefined();
    expect(await probeObjectStore(at(), alpha)).toBeUndefined();
    const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint: store.endpoint, region: store.region, forcePathStyle: true, credentials: store.rootCredentials });
    const left = await client.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'tenants/alpha/' }));
    client.destroy();
    expect(left.KeyCount ?? 0).toBe(0);
  });

  it('tells a wrong key, a wrong secret, a missing bucket and an unreachable endpoint apart', async () => {
    const unknownKey = await probeObjectStore(at(), { accessKeyId: 'AKNOBODY00000000', secretAccessKey: 'x'.repeat(40) });
    expect(unknownKey).toMatchObject({ kind: 'credentials', message: expect.stringContaining('refused the access key') });
    const wrongSecret = await probeObjectStore(at(), { ...store.rootCredentials, secretAccessKey: 'y'.repeat(40) });
    expect(wrongSecret?.kind).toBe('credentials');
    expect(await probeObjectStore(at({ bucket: 'no-such-bucket' }), store.rootCredentials)).toMatchObject({ kind: 'bucket' });
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await probeObjectStore(at({ endpoint: closed }), store.rootCredentials)).toMatchObject({
      kind: 'unreachable',
      message: expect.stringContaining(closed),
    });
  });

  it("denies a tenant's credentials under another tenant's prefix", async () => {
    expect(await probeObjectStore(at({ prefix: 'tenants/bravo' }), alpha)).toMatchObject({ kind: 'denied' });
  });

  it('never puts a secret key in a failure message', async () => {
    const secretAccessKey = `canary-${'z'.repeat(30)}`;
    const failure = await probeObjectStore(at(), { accessKeyId: store.rootCredentials.accessKeyId, secretAccessKey });
    expect(failure).toBeDefined();
    expect(JSON.stringify(failure)).not.toContain(secretAccessKey);
  });
});
