import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../sandbox/ports.ts';
import { sandboxBinaries } from '../sandbox/versions.ts';
import { TEST_JWT_SECRET } from './service-deps.ts';

/**
 * `node src/main.ts api` on a free port (or `port`, to restart one on its address): the API's own
 * composition root, so its Redis connections are the ones the config (CONFIG_FILE: sentinels)
 * makes. Output goes to `<logDir>/<name>.log` (`api.log` by default), appended across restarts.
 */
export async function startApiProcess(o: {
  kubeconfig: string;
  configFile: string;
  prefix: string;
  logDir: string;
  name?: string;
  port?: number;
  /** How long the process may take to answer /readyz (a loaded machine starts Node slowly). */
  readyTimeoutMs?: number;
}) {
  const port = o.port ?? (await freePort());
  const log = join(o.logDir, `${o.name ?? 'api'}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, ['src/main.ts', 'api'], {
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: o.kubeconfig,
      CONFIG_FILE: o.configFile,
      QUEUE_PREFIX: o.prefix,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      HELM_BINARY: sandboxBinaries().helm,
      PORT: String(port),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    },
  });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  while (
    !(await fetch(`${baseUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the API did not become ready (see ${log})`);
    }
    await sleep(100);
  }
  return {
    baseUrl,
    port,
    log,
    pid: child.pid!,
    /** SIGKILL, as a crashed pod: no graceful shutdown, no handover. */
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
