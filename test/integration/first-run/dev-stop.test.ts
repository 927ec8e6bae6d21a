import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { down } from '../../sandbox/cluster.ts';
import { freePort } from '../../sandbox/ports.ts';
import { daemons, isRedisOn, root } from './support/daemons.ts';

// Ctrl-C on a running `npm run dev`, as a terminal delivers it: SIGINT to the whole process group
// (the script and the service it started), after which the script passes SIGTERM on to the service.
// The service must drain (one request, not two), and the script must stop its Redis after that.
let sandboxDir: string | undefined;
let dev: ResultPromise | undefined;
let redisPort: number | undefined;
afterAll(async () => {
  // A failed assertion leaves the script running: take down its group and the Redis it started.
  if (dev?.pid && dev.exitCode === null) process.kill(-dev.pid, 'SIGKILL');
  for (const p of daemons().filter((d) => redisPort !== undefined && isRedisOn(d, redisPort))) process.kill(p.pid, 'SIGKILL');
  if (sandboxDir) await down(sandboxDir);
});

describe('Ctrl-C on a running npm run dev', () => {
  it('drains the service instead of killing it, and leaves only the sandbox up', { timeout: 240_000 }, async () => {
    sandboxDir = await mkdtemp(join(tmpdir(), 'tp-dev-stop-'));
    const port = await freePort();
    redisPort = await freePort();
    const before = new Set(daemons().map((p) => p.pid));
    const running = execa(process.execPath, ['scripts/dev.ts'], {
      cwd: root,
      env: { SANDBOX_DIR: sandboxDir, REDIS_URL: `redis://127.0.0.1:${redisPort}`, PORT: String(port), TP_NO_INSTALL: '1' },
      // Its own process group, as a shell gives a foreground job: the signal goes to the group.
      detached: true,
      reject: false,
      all: true,
      timeout: 220_000,
    });
    dev = running;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      running.all!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('tenant-provisioner is running')) resolve();
      });
      void running.then(() => reject(new Error(`npm run dev ended before it was running:\n${output.slice(-3000)}`)));
    });
    // Outside the group the terminal signals: Ctrl-C stopping Redis at once left the draining service
    // without it (exit 1 under load, whenever the drain outlasted Redis's own SIGINT shutdown).
    const started = daemons().filter((p) => !before.has(p.pid));
    const redis = started.find((p) => isRedisOn(p, redisPort!));
    expect(redis, JSON.stringify(started)).toBeDefined();
    expect(started.filter((p) => p.group === running.pid)).toEqual([]);
    process.kill(-running.pid!, 'SIGINT');
    const result = await running;

    expect(result.exitCode, output.slice(-3000)).toBe(0);
    expect(output).toMatch(/"signal":"SIGINT","msg":"shutting down"/);
    expect(output).not.toMatch(/second signal/);
    expect(output).toMatch(/"msg":"stopped"/);
    // Its Redis is stopped; the sandbox stays up for the next start, by design.
    expect(daemons().filter((p) => p.pid === redis!.pid)).toEqual([]);
  });
});
