import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sandboxBinaries } from '../sandbox/versions.ts';
import { TEST_JWT_SECRET } from './service-deps.ts';

export type WorkerProcessOptions = {
  kubeconfig: string;
  redisUrl: string;
  prefix: string;
  configFile: string;
  logDir: string;
  name: string;
  /** Added to (and over) the defaults below: BACKUP_PREFLIGHT=true where the store is real. */
  env?: Record<string, string>;
};

/**
 * `node src/main.ts worker` as a real child process, in a process group of its own so that a kill
 * takes its Helm children with it, as when a container dies. Output goes to `<logDir>/<name>.log`.
 */
export function spawnWorker(o: WorkerProcessOptions) {
  const log = join(o.logDir, `${o.name}.log`);
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn(process.execPath, ['src/main.ts', 'worker'], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: o.kubeconfig,
      REDIS_URL: o.redisUrl,
      QUEUE_PREFIX: o.prefix,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      HELM_BINARY: sandboxBinaries().helm,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
      // As in testConfig: the sandbox's platform Secret holds keys for no object store.
      BACKUP_PREFLIGHT: 'false',
      CONFIG_FILE: o.configFile,
      // Several workers run at once in a test: each health server takes a free port.
      HEALTH_PORT: '0',
      ...o.env,
    },
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const signal = (sig: NodeJS.Signals, group: boolean) => {
    try {
      process.kill(group ? -child.pid! : child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  return {
    pid: child.pid!,
    log,
    exited,
    /** SIGKILL to the whole group, synchronously: the worker and any Helm it is running die at once. */
    killNow: () => signal('SIGKILL', true),
    /** SIGKILL to the whole group, then waits until the worker is gone. */
    async kill9() {
      signal('SIGKILL', true);
      await exited;
      // Orphans of the group may take a moment to be reaped.
      await sleep(50);
    },
    /** SIGTERM to the worker only: its graceful shutdown is what is under test. */
    async terminate(): Promise<{ code: number | null; ms: number }> {
      const started = Date.now();
      signal('SIGTERM', false);
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}
export type WorkerProcess = ReturnType<typeof spawnWorker>;
