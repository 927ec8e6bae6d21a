import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { freePort } from '../sandbox/ports.ts';
import { sandboxBinaries } from '../sandbox/versions.ts';
import { TEST_JWT_SECRET } from './service-deps.ts';

/**
 * `node src/main.ts all` as a real child process on a free port, with a queue prefix of its own:
 * the whole service as a user runs it, for browser tests.
 */
export async function startServiceProcess(options: { kubeconfig: string; redisUrl: string; env?: Record<string, string> }) {
  const port = await freePort();
  const prefix = `b${randomBytes(4).toString('hex')}`;
  const logDir = await mkdtemp(join(tmpdir(), 'tp-service-'));
  const fd = openSync(join(logDir, 'service.log'), 'a');
  const child = spawn(process.execPath, ['src/main.ts', 'all'], {
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: options.kubeconfig,
      REDIS_URL: options.redisUrl,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      HELM_BINARY: sandboxBinaries().helm,
      PORT: String(port),
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
      HEALTH_PORT: '0',
      // As in testConfig: the sandbox's platform Secret holds keys for no object store.
      BACKUP_PREFLIGHT: 'false',
      ...options.env,
    },
  });
  closeSync(fd);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${baseUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not become ready (see ${logDir}/service.log)`);
    await sleep(100);
  }
  return {
    baseUrl,
    prefix,
    log: join(logDir, 'service.log'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
