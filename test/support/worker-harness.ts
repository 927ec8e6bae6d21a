import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../src/config/config.schema.ts';
import { startWorker } from './operations-worker.ts';
import { serviceDeps, type ServiceDeps } from './service-deps.ts';
import { spawnWorker, type WorkerProcess } from './worker-process.ts';

export type InProcessWorker = Awaited<ReturnType<typeof startWorker>>;

export type WorkerHarnessOptions = {
  /** The cluster's kubeconfig, or how to find it once the earlier beforeAll hooks ran (a sandbox the file brings up). */
  kubeconfig: string | (() => string);
  /** The file's configuration, or how to build it once the earlier beforeAll hooks ran (a Redis, an API or a mock the file starts). */
  config: Config | (() => Config);
  /** In-process workers started before the first test: one by default, none where the tests start their own. */
  workers?: number;
  /** What `spawnWorker` children read: the CONFIG_FILE the config was built from, and where their logs go. */
  processes?: { configFile: string; logDir: string };
};

export type WorkerHarness = {
  /** The file's real dependencies; read inside hooks and tests, once beforeAll has built them. */
  readonly deps: ServiceDeps;
  /** The first in-process worker. */
  readonly worker: InProcessWorker;
  readonly workers: readonly InProcessWorker[];
  /** Tenant ids whose namespaces are deleted after the file's tests, whatever they left behind. */
  readonly created: string[];
  /** `node src/main.ts worker` on this file's Redis, prefix and config file; terminated after the file if still running. */
  spawnWorker(name?: string): WorkerProcess;
};

/**
 * The harness every worker-driven integration file shares: real ServiceDeps and workers built in
 * beforeAll; in afterAll the workers stop first (no job may recreate what is deleted next), then the
 * created tenants' namespaces go, then the connections close. Hooks run as a stack: a file's own
 * beforeAll registered before this call (starting a Redis, a stub) runs first, its afterAll last.
 */
export function useWorkerHarness(options: WorkerHarnessOptions): WorkerHarness {
  let deps: ServiceDeps | undefined;
  const workers: InProcessWorker[] = [];
  // Spawned workers still running: the ones a test killed or stopped are not signalled again.
  const running = new Set<WorkerProcess>();
  let spawned = 0;
  const created: string[] = [];
  const kubeconfig = () => (typeof options.kubeconfig === 'function' ? options.kubeconfig() : options.kubeconfig);

  beforeAll(async () => {
    deps = serviceDeps(typeof options.config === 'function' ? options.config() : options.config, kubeconfig());
    for (let i = 0; i < (options.workers ?? 1); i++) workers.push(await startWorker(deps));
  });

  afterAll(async () => {
    await Promise.all([...workers.map((w) => w.close()), ...[...running].map((p) => p.terminate())]);
    if (!deps) return;
    const d = deps;
    await Promise.all(created.map((id) => d.registry.delete(id).catch(() => undefined)));
    await d.close();
  });

  const ready = (): ServiceDeps => {
    if (!deps) throw new Error('the worker harness is used before its beforeAll ran');
    return deps;
  };
  return {
    get deps() {
      return ready();
    },
    get worker() {
      const first = workers[0];
      if (!first) throw new Error('this worker harness starts no in-process worker (workers: 0)');
      return first;
    },
    workers,
    created,
    spawnWorker(name = `worker-${++spawned}`) {
      if (!options.processes) throw new Error('spawnWorker needs the harness option `processes`');
      const { config } = ready();
      const child = spawnWorker({ kubeconfig: kubeconfig(), redisUrl: config.redis.url ?? '', prefix: config.queue.prefix, ...options.processes, name });
      running.add(child);
      void child.exited.then(() => running.delete(child));
      return child;
    },
  };
}
