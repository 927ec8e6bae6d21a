import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { ensureBinaries } from '../sandbox/build.ts';
import {
  OBJECT_STORE_REGION,
  createBucket,
  newCredentials,
  rootEnv,
  versitygwArgs,
  waitForObjectStore,
  type ObjectStoreInfo,
} from '../sandbox/object-store.ts';
import { freePort } from '../sandbox/ports.ts';
import { sandboxBinaries } from '../sandbox/versions.ts';

export type { ObjectStoreCredentials, ObjectStoreInfo } from '../sandbox/object-store.ts';

/** A running S3 server of this test file's own. */
export type ObjectStore = ObjectStoreInfo & {
  /** Stops the server (its process is gone when this resolves) and deletes its data. */
  stop(): Promise<void>;
};

/**
 * A real versitygw (the pinned build, compiled on first use under the sandbox cache's lock) on a
 * free loopback port, with root keys made for this run, its data in a temporary directory and one
 * bucket created. Per-prefix users: `object-store-users.ts`.
 */
export async function startObjectStore(options: { bucket?: string } = {}): Promise<ObjectStore> {
  const { bucket = 'backups' } = options;
  await ensureBinaries(process.env, ['versitygw']);
  const [port, dir] = await Promise.all([freePort(), mkdtemp(join(tmpdir(), 'tp-object-store-'))]);
  const endpoint = `http://127.0.0.1:${port}`;
  const rootCredentials = newCredentials();
  let child: ResultPromise | undefined;
  const stop = async () => {
    if (child) {
      child.kill('SIGTERM');
      await child;
      child = undefined;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    child = execa(sandboxBinaries().versitygw, await versitygwArgs(dir, port), {
      env: rootEnv(rootCredentials),
      reject: false,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'pipe',
      buffer: { stderr: true },
    });
    const running = child;
    try {
      await waitForObjectStore(endpoint, () => (running.exitCode === null ? undefined : `exit code ${running.exitCode}`));
    } catch (error) {
      if (running.exitCode === null) throw error;
      throw new Error(`versitygw did not start on ${port}: ${String((await running).stderr).slice(-2000)}`);
    }
    await createBucket(endpoint, rootCredentials, bucket);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, region: OBJECT_STORE_REGION, bucket, rootCredentials, stop };
}
