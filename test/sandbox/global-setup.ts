import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { SYSTEM_PACKAGES, ensureSystemPackages, nodeHost } from '../../scripts/system-packages.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { defaultSandboxDir, down, readState, up } from './cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the sandbox cluster this run uses. */
    kubeconfig: string;
    /** The sandbox's state directory (for `restart apiserver` in fault tests); '' when reusing by kubeconfig. */
    sandboxDir: string;
    /** A Redis only this run uses; tests still isolate themselves by queue prefix. */
    redisUrl: string;
  }
}

/**
 * One sandbox and one Redis per test run. `SANDBOX_KUBECONFIG` reuses a cluster someone else runs;
 * otherwise a healthy sandbox in the default directory is reused (and left running), or one is
 * brought up here and taken down afterwards. `REDIS_URL` likewise names an existing Redis.
 */
export default async function setup(project: TestProject) {
  // Before anything starts (`npm test` on a fresh machine): installed when possible, else one line.
  const { openssl, flock, redisServer } = SYSTEM_PACKAGES;
  await ensureSystemPackages(
    [...(process.env.SANDBOX_KUBECONFIG ? [] : [openssl, flock]), ...(process.env.REDIS_URL ? [] : [redisServer])],
    'npm test',
    nodeHost(process.env),
  );
  const teardowns: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const stop of teardowns.reverse()) await stop();
  };
  try {
    if (process.env.SANDBOX_KUBECONFIG) {
      project.provide('kubeconfig', process.env.SANDBOX_KUBECONFIG);
      project.provide('sandboxDir', '');
    } else {
      const dir = defaultSandboxDir();
      const wasRunning = (await readState(dir)) !== undefined;
      const state = await up({ dir });
      if (!wasRunning) teardowns.push(() => down(dir));
      project.provide('kubeconfig', state.kubeconfig);
      project.provide('sandboxDir', dir);
    }
    if (process.env.REDIS_URL) {
      project.provide('redisUrl', process.env.REDIS_URL);
    } else {
      const redis = await startRedisServer();
      teardowns.push(redis.stop);
      project.provide('redisUrl', redis.url);
    }
  } catch (error) {
    // A start that fails leaves nothing behind: stop what was started before rethrowing.
    await teardown();
    throw error;
  }
  return teardown;
}
