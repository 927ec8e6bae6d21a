import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../sandbox/ports.ts';

/** A real `redis-server` owned by a test run: append-only on and `noeviction`, as production needs. */
export type RedisServer = { url: string; port: number; dir: string; stop: () => Promise<void>; kill: () => Promise<void> };

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(500, () => socket.destroy());
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/**
 * Starts redis-server on a free port (or `port`, to restart one in place) in `dir`, or a new temp dir;
 * `args` are added to the command line (a replica's `--replicaof`).
 *
 * The AOF is fsynced every second, as Redis and the shipped compose files do: a killed process
 * loses nothing either way (each write reaches the kernel before its reply), while an fsync on every
 * write can stall a primary on a loaded machine past the sentinels' one-second down-after time. A
 * soak (ci17b) lost two seconds of a job's events to a failover no kill caused, under stalls of
 * every client's commands: the likeliest cause, and the soak now reports such failovers.
 *
 * `ownProcessGroup` keeps a terminal's Ctrl-C, which reaches the whole foreground group, from stopping
 * Redis under a service that is still draining into it; whoever started it then stops it, and an exit
 * without `stop` still takes it down.
 */
export async function startRedisServer(
  options: { port?: number; dir?: string; args?: readonly string[]; ownProcessGroup?: boolean } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'tp-redis-')));
  let child: ResultPromise | undefined = execa(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
      '--save',
      '',
      '--protected-mode',
      'yes',
      '--loglevel',
      'warning',
      ...(options.args ?? []),
    ],
    { reject: false, stdio: 'ignore', detached: options.ownProcessGroup ?? false },
  );
  // execa's own cleanup skips a detached child.
  const killOnExit = () => child?.kill('SIGKILL');
  if (options.ownProcessGroup) process.once('exit', killOnExit);
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on ${port}`);
    await sleep(50);
  }
  const end = async (signal: NodeJS.Signals) => {
    if (!child) return;
    child.kill(signal);
    await child;
    child = undefined;
    process.off('exit', killOnExit);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill: () => end('SIGKILL'),
    stop: async () => {
      await end('SIGTERM');
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
