import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
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
  const teardowns: Array<() => Promise<void>> = [];
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
  return async () => {
    for (const teardown of teardowns.reverse()) await teardown();
  };
}
