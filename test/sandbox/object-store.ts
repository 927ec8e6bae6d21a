import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './ports.ts';
import { isRunning, logTail, startDaemon, stopDaemon, type Daemon } from './processes.ts';
import { sandboxBinaries } from './versions.ts';

/**
 * versitygw, an S3 gateway over a POSIX directory, is the sandbox's object store. Per-prefix users
 * (what a tenant's backup credentials should be) are made with its admin API and a bucket policy;
 * `README.md` beside this file has the exact requests.
 */

/** The region versitygw is started with: SigV4 signatures, the admin API's included, must name it. */
export const OBJECT_STORE_REGION = 'us-east-1';
const HEALTH_PATH = '/health';

export type ObjectStoreCredentials = { accessKeyId: string; secretAccessKey: string };

/** What a client needs to use a running store; the sandbox writes it to `object-store.json`. */
export type ObjectStoreInfo = { endpoint: string; region: string; bucket: string; rootCredentials: ObjectStoreCredentials };

/** A fresh key pair shaped like AWS's (20-character id, 40-character secret). */
export function newCredentials(): ObjectStoreCredentials {
  return { accessKeyId: `VGW${randomBytes(9).toString('hex').toUpperCase().slice(0, 17)}`, secretAccessKey: randomBytes(30).toString('base64url') };
}

/**
 * The gateway's command line under `root`: object data in `data/`, accounts in `iam/`, and object
 * and bucket metadata (bucket policies among them) as files in `meta/`, not extended attributes,
 * whose size the filesystem caps (one 4 KiB block on ext4) while the policy grows with each tenant.
 * The root keys go in the environment (`rootEnv`), never on the command line, where `ps` shows them.
 */
export async function versitygwArgs(root: string, port: number): Promise<string[]> {
  const [data, iam, meta] = ['data', 'iam', 'meta'].map((d) => join(root, d)) as [string, string, string];
  await Promise.all([data, iam, meta].map((d) => mkdir(d, { recursive: true })));
  return [
    '--port',
    `127.0.0.1:${port}`,
    '--region',
    OBJECT_STORE_REGION,
    '--iam-dir',
    iam,
    '--health',
    HEALTH_PATH,
    '--quiet',
    'posix',
    '--sidecar',
    meta,
    data,
  ];
}

export function rootEnv(credentials: ObjectStoreCredentials, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, ROOT_ACCESS_KEY_ID: credentials.accessKeyId, ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey };
}

/** An S3 client for the store (path-style: versitygw has no virtual-host buckets here). Destroy it after use. */
export function s3Client(endpoint: string, credentials: ObjectStoreCredentials): S3Client {
  return new S3Client({ endpoint, region: OBJECT_STORE_REGION, credentials, forcePathStyle: true });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}${HEALTH_PATH}`);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Waits for the health endpoint; `failure` says why the process is gone, when it is. */
export async function waitForObjectStore(endpoint: string, failure: () => string | undefined, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await answers(endpoint))) {
    const why = failure();
    if (why !== undefined) throw new Error(`versitygw exited before answering on ${endpoint}:\n${why}`);
    if (performance.now() > deadline) throw new Error(`versitygw did not answer on ${endpoint} within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

export async function createBucket(endpoint: string, credentials: ObjectStoreCredentials, bucket: string): Promise<void> {
  const client = s3Client(endpoint, credentials);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/**
 * The sandbox's long-running store (`up --object-store`): a daemon like the control plane's, with
 * its state under `<dir>/object-store/` and what a client needs in `<dir>/object-store.json` (0600).
 */
export async function startObjectStoreDaemon(dir: string, bucket = 'backups'): Promise<{ daemon: Daemon; info: ObjectStoreInfo; credentialsFile: string }> {
  const port = await freePort();
  const rootCredentials = newCredentials();
  const args = await versitygwArgs(join(dir, 'object-store'), port);
  await mkdir(join(dir, 'logs'), { recursive: true });
  const daemon = startDaemon('versitygw', sandboxBinaries().versitygw, args, join(dir, 'logs'), rootEnv(rootCredentials));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForObjectStore(endpoint, () => (isRunning(daemon) ? undefined : logTail(daemon)));
    await createBucket(endpoint, rootCredentials, bucket);
  } catch (error) {
    await stopDaemon(daemon);
    throw error;
  }
  const info = { endpoint, region: OBJECT_STORE_REGION, bucket, rootCredentials };
  const credentialsFile = join(dir, 'object-store.json');
  await writeFile(credentialsFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  return { daemon, info, credentialsFile };
}
