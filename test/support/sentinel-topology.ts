import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { Redis } from 'ioredis';
import { SYSTEM_PACKAGES, ensureSystemPackages, nodeHost } from '../../scripts/system-packages.ts';
import { freePort } from '../sandbox/ports.ts';
import { startRedisServer, type RedisServer } from './redis-server.ts';

/**
 * How fast the sentinels act here: a primary silent for three seconds is down; a failover may take
 * five. One second was too eager on two loaded cores: a replica just promoted (busy with its
 * replicas' full syncs) missed its pings for a second, and the sentinels failed it over again,
 * dropping what it had acknowledged (soak in ci18a, sentinel logs: +sdown 1 s after +failover-end).
 */
export const DOWN_AFTER_MS = 3_000;
const FAILOVER_TIMEOUT_MS = 5_000;

export type SentinelTopology = Awaited<ReturnType<typeof startSentinelTopology>>;

const admin = (port: number) => new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: false });

/** Runs one command on a fresh connection and closes it: no connection outlives a kill. */
async function command<T>(port: number, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = admin(port);
  redis.on('error', () => undefined);
  try {
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const infoField = (info: string, field: string) => new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/**
 * Debian's redis-server and redis-sentinel on loopback: one primary, `replicas` replicas and three
 * sentinels (quorum 2) monitoring a master group of a random name, each in a temp dir of its own.
 * `stop()` ends every process this started, whatever state a test left them in.
 */
export async function startSentinelTopology(options: { replicas?: number; logDir?: string } = {}) {
  await ensureSystemPackages([SYSTEM_PACKAGES.redisServer, SYSTEM_PACKAGES.redisSentinel], 'high-availability tests', nodeHost(process.env));
  const name = `tp${randomBytes(3).toString('hex')}`;
  const servers: RedisServer[] = [];
  const sentinels: Array<{ port: number; dir: string; child: ResultPromise }> = [];
  const stop = async () => {
    await Promise.all(
      sentinels.map(async (s) => {
        s.child.kill('SIGKILL');
        await s.child;
        await rm(s.dir, { recursive: true, force: true });
      }),
    );
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    // Diskless full syncs start at once: the default waits 5 s for more replicas to join.
    const primary = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
    servers.push(primary);
    for (let i = 0; i < (options.replicas ?? 1); i++) {
      servers.push(await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] }));
    }
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = await mkdtemp(join(tmpdir(), 'tp-sentinel-'));
      // Sentinel rewrites its file as it learns the group: it must be its own, and writable.
      await writeFile(
        join(dir, 'sentinel.conf'),
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
          `sentinel parallel-syncs ${name} 1`,
          // Each sentinel's decisions (+sdown, +odown, +elected-leader, +switch-master) beside the run's other logs.
          ...(options.logDir ? [`logfile ${join(options.logDir, `sentinel-${port}.log`)}`] : []),
          '',
        ].join('\n'),
      );
      const child = execa('redis-sentinel', [join(dir, 'sentinel.conf')], { reject: false, stdio: 'ignore' });
      sentinels.push({ port, dir, child });
    }
    for (const replica of servers.slice(1)) {
      await until(`replica ${replica.port} to sync`, async () =>
        infoField(await command(replica.port, (r) => r.info('replication')), 'master_link_status') === 'up' ? true : undefined,
      );
    }
    // Ready once every sentinel sees the replicas and the two other sentinels.
    for (const s of sentinels) {
      await until(
        `sentinel ${s.port} to know its group`,
        () =>
          command(s.port, async (r) => {
            const replicas = (await r.call('SENTINEL', 'REPLICAS', name)) as string[][];
            const peers = (await r.call('SENTINEL', 'SENTINELS', name)) as string[][];
            const synced = replicas.filter((fields) => fields[fields.indexOf('flags') + 1] === 'slave');
            return synced.length === servers.length - 1 && peers.length === 2 ? true : undefined;
          }),
        30_000,
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const byPort = (port: number) => servers.find((s) => s.port === port);
  const sentinelViews = async () => {
    const views = await Promise.all(
      sentinels.map((s) =>
        command(s.port, async (r) => {
          const master = (await r.call('SENTINEL', 'MASTER', name)) as string[];
          const field = (key: string) => master[master.indexOf(key) + 1];
          const tilt = infoField(await r.info('sentinel'), 'sentinel_tilt');
          return `${s.port}: master ${field('port')} flags ${field('flags')} failover-state ${field('failover-state') ?? '-'} tilt ${tilt}`;
        }).catch((e: unknown) => `${s.port}: ${String(e).slice(0, 80)}`),
      ),
    );
    return views.join(' | ');
  };
  const serverRoles = async () =>
    (
      await Promise.all(
        servers.map((v) =>
          command(v.port, (r) => r.info('replication')).then(
            (i) => `${v.port} ${infoField(i, 'role')}`,
            () => `${v.port} down`,
          ),
        ),
      )
    ).join(', ');
  // Every failover the sentinels carry out, injected or not: one sentinel's announcements (each of
  // the three announces a switch it learns of), so a run can tell a kill's failover from one the
  // sentinels decided on their own, as after a primary stalled past DOWN_AFTER_MS.
  const switches: Array<{ at: number; from: number; to: number }> = [];
  const announcements = new Redis({ host: '127.0.0.1', port: sentinels[0]!.port, lazyConnect: false });
  announcements.on('error', () => undefined);
  announcements.on('message', (_channel: string, message: string) => {
    const [group, , fromPort, , toPort] = message.split(' ');
    if (group === name) switches.push({ at: Date.now(), from: Number(fromPort), to: Number(toPort) });
  });
  await announcements.subscribe('+switch-master').catch(async (error: unknown) => {
    announcements.disconnect();
    await stop();
    throw error;
  });
  const primaryPort = () => command(sentinels[0]!.port, async (r) => Number(((await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[])[1]));

  return {
    name,
    /** The sentinels as the config takes them. */
    sentinels: sentinels.map((s) => `127.0.0.1:${s.port}`),
    servers,
    /** The port of the primary the sentinels name now. */
    primaryPort,
    /** A command on one server, on a connection of its own. */
    on: <T>(port: number, run: (redis: Redis) => Promise<T>) => command(port, run),
    info: (port: number, section: string) => command(port, (r) => r.info(section)),
    infoField,
    /** Waits until every replica has the primary's whole replication stream. */
    async synced(primaryPort: number) {
      await until('the replicas to catch up', async () => {
        const primary = await command(primaryPort, (r) => r.info('replication'));
        const offset = infoField(primary, 'master_repl_offset');
        const lines = [...primary.matchAll(/^slave[0-9]+:.*offset=([0-9]+)/gm)].map((m) => m[1]);
        return lines.length === servers.length - 1 && lines.every((o) => o === offset) ? true : undefined;
      });
    },
    /**
     * Cuts a replica off its primary and keeps it off: a wrong masterauth makes every reconnect fail
     * its AUTH, while the replica still answers the sentinels (so it stays eligible for promotion).
     * Resolves once the primary counts no connected replica, so nothing written after reaches it.
     */
    async cutReplica(replicaPort: number, primaryPort: number) {
      await command(replicaPort, async (r) => {
        // A user that does not exist: the default user has no password, so any masterauth alone would pass.
        await r.config('SET', 'masteruser', `nobody-${randomBytes(4).toString('hex')}`);
        await r.config('SET', 'masterauth', 'wrong');
        await r.client('KILL', 'TYPE', 'master');
      });
      await until('the primary to lose its replica', async () =>
        infoField(await command(primaryPort, (r) => r.info('replication')), 'connected_slaves') === '0' ? true : undefined,
      );
    },
    /** SIGKILL, as a crashed host: nothing is flushed, nothing is handed over. */
    async killServer(port: number) {
      await byPort(port)?.kill();
    },
    /**
     * Starts a killed server again on its port with its data, as Kubernetes restarts a pod. Like the
     * start script of the common Sentinel charts, it asks the sentinels for the primary first and
     * starts as its replica: left to the sentinels, a former primary is converted only after 8 s of
     * reporting the wrong role, and not at all while a sentinel sits in TILT mode (30 s after its
     * timer ran late, as it does on a loaded CI machine). Resolves once it is in sync.
     */
    async restartServer(port: number) {
      const old = byPort(port);
      if (!old) throw new Error(`no server on ${port}`);
      const primary = await until('the sentinels to name a primary', primaryPort);
      const follow = primary === port ? [] : ['--replicaof', '127.0.0.1', String(primary)];
      const restarted = await startRedisServer({ port, dir: old.dir, args: ['--repl-diskless-sync-delay', '0', ...follow] });
      // The first one's stop removes its temp dir; the restarted one's keeps it: remove it then.
      servers.splice(servers.indexOf(old), 1, {
        ...restarted,
        stop: async () => {
          await restarted.stop();
          await rm(old.dir, { recursive: true, force: true });
        },
      });
      await until(
        `${port} to rejoin as a replica`,
        async () => {
          const info = await command(port, (r) => r.info('replication'));
          return infoField(info, 'role') === 'slave' && infoField(info, 'master_link_status') === 'up' ? true : undefined;
        },
        30_000,
      );
    },
    /** Resolves with the new primary's port once a sentinel names a primary other than `oldPort` that answers as one. */
    async waitForNewPrimary(oldPort: number, timeoutMs = 30_000) {
      try {
        return await until(
          'a new primary',
          async () => {
            const port = await primaryPort();
            if (port === oldPort) return undefined;
            const role = infoField(await command(port, (r) => r.info('replication')), 'role');
            return role === 'master' ? port : undefined;
          },
          timeoutMs,
        );
      } catch (error) {
        // Why no sentinel failed over (TILT, no quorum, no eligible replica), for the report.
        throw new Error(`${String(error)}; sentinels: ${await sentinelViews()}; servers: ${await serverRoles()}`, { cause: error });
      }
    },
    /** The failovers seen so far (`+switch-master`), oldest first. */
    switches: () => [...switches],
    stop: async () => {
      announcements.disconnect();
      await stop();
    },
  };
}
