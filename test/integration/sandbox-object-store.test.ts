import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client, startObjectStoreDaemon, type ObjectStoreInfo } from '../sandbox/object-store.ts';
import { isRunning, stopDaemon } from '../sandbox/processes.ts';
import { createPrefixUser, deletePrefixUser, type PrefixUser } from '../support/object-store-users.ts';
import { startObjectStore, type ObjectStore } from '../support/object-store.ts';

// The sandbox's S3 server is the real versitygw: what these tests find is what product code meets.
let store: ObjectStore;
const clients: S3Client[] = [];
const client = (credentials: ObjectStoreInfo['rootCredentials']) => {
  const c = s3Client(store.endpoint, credentials);
  clients.push(c);
  return c;
};

/** The S3 error code a call failed with, or 'ok'. */
async function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'ok',
    (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => `${error.$metadata?.httpStatusCode} ${error.name}`,
  );
}

beforeAll(async () => {
  // The first run on a machine compiles versitygw (minutes on two cores); later ones find it cached.
  store = await startObjectStore({ bucket: 'backups' });
}, 900_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await store?.stop();
});

describe('object store (versitygw)', () => {
  it('serves the bucket to the root keys: put, get, list, delete', async () => {
    const root = client(store.rootCredentials);
    await root.send(new PutObjectCommand({ Bucket: store.bucket, Key: 'root/hello.txt', Body: 'hello' }));
    const got = await root.send(new GetObjectCommand({ Bucket: store.bucket, Key: 'root/hello.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
    const listed = await root.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'root/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['root/hello.txt']);
    await root.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: 'root/hello.txt' }));
    expect(await outcome(root.send(new GetObjectCommand({ Bucket: store.bucket, Key: 'root/hello.txt' })))).toBe('404 NoSuchKey');
  });

  it('tells a wrong secret, an unknown key and a missing bucket apart', async () => {
    const { accessKeyId } = store.rootCredentials;
    const wrongSecret = client({ accessKeyId, secretAccessKey: 'not-the-secret-not-the-secret-not-the-se' });
    const unknownKey = client({ accessKeyId: 'VGWNOSUCHKEY00000000', secretAccessKey: store.rootCredentials.secretAccessKey });
    const root = client(store.rootCredentials);
    expect(await outcome(wrongSecret.send(new ListObjectsV2Command({ Bucket: store.bucket })))).toBe('403 SignatureDoesNotMatch');
    expect(await outcome(unknownKey.send(new ListObjectsV2Command({ Bucket: store.bucket })))).toBe('403 InvalidAccessKeyId');
    expect(await outcome(root.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).toBe('404 NoSuchBucket');
  });

  it('serves a presigned GET until it expires', async () => {
    const root = client(store.rootCredentials);
    await root.send(new PutObjectCommand({ Bucket: store.bucket, Key: 'exports/dump.sql', Body: 'select 1;' }));
    const url = await getSignedUrl(root, new GetObjectCommand({ Bucket: store.bucket, Key: 'exports/dump.sql' }), { expiresIn: 1 });
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('select 1;');
    await sleep(2_100);
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('AccessDenied');
  });

  describe('a user limited to one prefix', () => {
    let a: PrefixUser;
    let b: PrefixUser;

    beforeAll(async () => {
      a = await createPrefixUser(store, 'tenants/a');
      b = await createPrefixUser(store, 'tenants/b');
      await client(store.rootCredentials).send(new PutObjectCommand({ Bucket: store.bucket, Key: 'tenants/b/base.tar', Body: 'b-data' }));
    });

    it('puts, gets, lists and deletes under its prefix', async () => {
      const s3 = client(a);
      await s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: 'tenants/a/marker', Body: 'a-data' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: 'tenants/a/marker' }));
      expect(await got.Body?.transformToString()).toBe('a-data');
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'tenants/a/' }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual(['tenants/a/marker']);
      await s3.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: 'tenants/a/marker' }));
      expect(await outcome(s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: 'tenants/a/marker' })))).toBe('404 NoSuchKey');
    });

    it("is denied another prefix's objects and listings, and the bucket's whole listing", async () => {
      const s3 = client(a);
      const denied = '403 AccessDenied';
      expect(await outcome(s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: 'tenants/b/base.tar' })))).toBe(denied);
      expect(await outcome(s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: 'tenants/b/evil', Body: 'x' })))).toBe(denied);
      expect(await outcome(s3.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: 'tenants/b/base.tar' })))).toBe(denied);
      expect(await outcome(s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'tenants/b/' })))).toBe(denied);
      expect(await outcome(s3.send(new ListObjectsV2Command({ Bucket: store.bucket })))).toBe(denied);
      // A prefix that only starts like its own ("tenants/ab") is another tenant's.
      expect(await outcome(s3.send(new PutObjectCommand({ Bucket: store.bucket, Key: 'tenants/ab/x', Body: 'x' })))).toBe(denied);
      // B's object is intact, and B reads it with its own keys.
      const got = await client(b).send(new GetObjectCommand({ Bucket: store.bucket, Key: 'tenants/b/base.tar' }));
      expect(await got.Body?.transformToString()).toBe('b-data');
    });

    it('loses access, and its keys stop working, once deleted; the other user keeps its own', async () => {
      await deletePrefixUser(store, a);
      expect(await outcome(client(a).send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'tenants/a/' })))).toBe('403 InvalidAccessKeyId');
      expect(await outcome(client(b).send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: 'tenants/b/' })))).toBe('ok');
    });
  });

  it('stops without leaving its process or data behind', async () => {
    const other = await startObjectStore({ bucket: 'scratch' });
    await other.stop();
    expect(
      await fetch(`${other.endpoint}/health`).then(
        () => 'answered',
        () => 'refused',
      ),
    ).toBe('refused');
  });
});

describe('object store as a sandbox daemon (up --object-store)', () => {
  it('writes its endpoint and root keys to a 0600 file that works, and stops like the other daemons', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tp-sandbox-store-'));
    try {
      const { daemon, info, credentialsFile } = await startObjectStoreDaemon(dir);
      try {
        expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);
        const saved = JSON.parse(await readFile(credentialsFile, 'utf8')) as ObjectStoreInfo;
        expect(saved).toEqual(info);
        // The keys go in the daemon's environment, not on its command line.
        expect(daemon.args.join(' ')).not.toContain(info.rootCredentials.secretAccessKey);
        const s3 = s3Client(saved.endpoint, saved.rootCredentials);
        try {
          await s3.send(new PutObjectCommand({ Bucket: saved.bucket, Key: 'probe', Body: 'ok' }));
          expect((await s3.send(new ListObjectsV2Command({ Bucket: saved.bucket }))).KeyCount).toBe(1);
        } finally {
          s3.destroy();
        }
      } finally {
        await stopDaemon(daemon);
      }
      expect(isRunning(daemon)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
