import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { down, health, readState, up } from '../../sandbox/cluster.ts';
import { freePort } from '../../sandbox/ports.ts';
import { daemons, isRedisOn, root, type Proc } from './support/daemons.ts';

// `npm run dev` on a machine where Redis cannot be had. It runs scripts/dev.ts as a child with a
// private sandbox directory (SANDBOX_DIR) and a PATH of our making, so the default sandbox other
// runs use is never touched, and it checks that the failed start leaves no process behind.

type Start = { exitCode: number | undefined; stderrLines: string[]; leftBehind: Proc[]; sandboxState: boolean; ms: number };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A sandbox directory of this test's own; whatever happens, it goes (the default one is never named here). */
async function privateSandboxDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-dev-sandbox-'));
  cleanups.push(() => down(dir));
  return dir;
}

/** Runs `npm run dev` (scripts/dev.ts) with `bin` as its whole PATH; returns what it left behind. */
async function startDev(bin: string, sandboxDir?: string): Promise<Start> {
  sandboxDir ??= await privateSandboxDir();
  const [redisPort, port] = [await freePort(), await freePort()];
  const before = new Set(daemons().map((p) => p.pid));
  const started = Date.now();
  const result = await execa(process.execPath, ['scripts/dev.ts'], {
    cwd: root,
    extendEnv: false,
    env: {
      PATH: bin,
      HOME: process.env.HOME,
      SANDBOX_DIR: sandboxDir,
      TP_NO_INSTALL: '1',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      PORT: String(port),
      ...(process.env.SANDBOX_CACHE_DIR ? { SANDBOX_CACHE_DIR: process.env.SANDBOX_CACHE_DIR } : {}),
    },
    reject: false,
    timeout: 200_000,
  });
  const ms = Date.now() - started;
  // Ours: started during this run and naming our sandbox directory or our Redis port.
  const leftBehind = daemons().filter((p) => !before.has(p.pid) && (p.args.includes(sandboxDir) || isRedisOn(p, redisPort)));
  return {
    exitCode: result.exitCode,
    stderrLines: String(result.stderr)
      .split('\n')
      .filter((l) => l.trim() !== ''),
    leftBehind,
    sandboxState: (await readState(sandboxDir)) !== undefined,
    ms,
  };
}

/** A directory holding only the commands the sandbox needs from PATH (openssl, flock), plus `extra`. */
async function pathWith(extra: Record<string, string> = {}): Promise<string> {
  const bin = await mkdtemp(join(tmpdir(), 'tp-dev-path-'));
  cleanups.push(() => rm(bin, { recursive: true, force: true }));
  for (const command of ['openssl', 'flock']) {
    const { stdout } = await execa('sh', ['-c', `command -v ${command}`]);
    await symlink(stdout.trim(), join(bin, command));
  }
  for (const [name, script] of Object.entries(extra)) {
    await writeFile(join(bin, name), script);
    await chmod(join(bin, name), 0o755);
  }
  return bin;
}

describe('npm run dev on a machine without Redis', () => {
  it('stops before starting anything, in one line naming redis-server, when it cannot be installed', async () => {
    const start = await startDev(await pathWith());
    expect(start.leftBehind).toEqual([]);
    expect(start.sandboxState).toBe(false);
    expect(start.exitCode).not.toBe(0);
    expect(start.stderrLines).toHaveLength(1);
    expect(start.stderrLines[0]).toMatch(/missing Debian package redis-server .*apt-get install -y redis-server/);
  });

  it('takes down the sandbox it started when redis-server is there but does not start', { timeout: 240_000 }, async () => {
    // Passes the package check, fails once the sandbox is up: the teardown path, not the check.
    const start = await startDev(await pathWith({ 'redis-server': '#!/bin/sh\necho "redis-server: cannot start" >&2\nexit 1\n' }));
    expect(start.leftBehind).toEqual([]);
    expect(start.sandboxState).toBe(false);
    expect(start.exitCode).not.toBe(0);
    expect(start.stderrLines.filter((l) => !l.startsWith('redis-server: cannot start'))).toHaveLength(1);
    expect(start.stderrLines.at(-1)).toMatch(/redis-server/);
  });

  it('leaves a sandbox that was already running alone when its start fails', { timeout: 240_000 }, async () => {
    const sandboxDir = await privateSandboxDir();
    const state = await up({ dir: sandboxDir });
    const start = await startDev(await pathWith({ 'redis-server': '#!/bin/sh\nexit 1\n' }), sandboxDir);
    expect(start.exitCode).not.toBe(0);
    expect(start.stderrLines).toEqual([expect.stringMatching(/^npm run dev: redis-server did not start/)]);
    expect(start.sandboxState).toBe(true);
    expect((await health(state)).healthy).toBe(true);
  });
});
