import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { leaseReplicas, redisConnection } from '../../../src/composition/redis-connections.ts';
import { RedisConfig } from '../../../src/config/redis-config.schema.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { keepLease } from '../../../src/worker/lease-keeper.ts';
import { createTenantLeases, LeaseNotReplicatedError, type TenantLeases } from '../../../src/worker/tenant-lease.ts';
import { startSentinelTopology, type SentinelTopology } from '../../support/sentinel-topology.ts';

// A tenant lease across a Sentinel failover that loses the writes its replica had not received
// (src/worker/tenant-lease.ts, "Failover"). Each test has a topology of its own: after a failover the
// group has no replica left to acknowledge anything.
const TTL_MS = 3_000;
const logger = createLogger({ level: 'silent', pretty: false });
let topology: SentinelTopology | undefined;
const connections: Redis[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) c.disconnect();
  await topology?.stop();
  topology = undefined;
});

/** A worker's lease client, connected through the sentinels as the composition root connects it. */
function worker(t: SentinelTopology, replicas?: number): TenantLeases {
  const redis = RedisConfig.parse({ sentinels: t.sentinels, name: t.name, ...(replicas === undefined ? {} : { leaseReplicas: replicas }) });
  const connection = redisConnection(redis, { lease: { ttlMs: TTL_MS } });
  connection.on('error', () => undefined);
  connections.push(connection);
  return createTenantLeases(connection, { prefix: 'ha', ttlMs: TTL_MS, replicas: leaseReplicas(redis) });
}

/** Retries a call that fails while the clients find the new primary. */
async function settled<T>(run: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

/** Kills the primary after its replica was cut off, and resolves once the sentinels promoted that replica. */
async function failOverLosingWrites(t: SentinelTopology, writes: () => Promise<void>) {
  const primary = await t.primaryPort();
  const replica = t.servers.find((s) => s.port !== primary)!.port;
  await t.cutReplica(replica, primary);
  await writes();
  await t.killServer(primary);
  const started = Date.now();
  const promoted = await t.waitForNewPrimary(primary);
  expect(promoted).toBe(replica);
  return { failoverMs: Date.now() - started };
}

describe('tenant leases across a Redis failover', () => {
  it('without acknowledgement (leaseReplicas 0) a lost acquisition lets a second job in with the same token: the hazard', async () => {
    topology = await startSentinelTopology();
    const a = worker(topology, 0);
    const b = worker(topology, 0);
    await settled(() => a.holder('warm-up'));
    let first;
    await failOverLosingWrites(topology, async () => {
      first = await a.acquire('tenant-x');
    });
    expect(first).toBeDefined();
    const second = await settled(async () => (await b.acquire('tenant-x')) ?? Promise.reject(new Error('held')));
    // Two holders of one tenant, and the fence cannot tell them apart: the counter's INCR was lost too.
    expect(second.token).toBe(first!.token);
    expect(await settled(() => a.isHeld(first!))).toBe(true);
  });

  it('with Sentinel defaults, an acquisition the replica has not acknowledged is given back, not relied on', async () => {
    topology = await startSentinelTopology();
    const a = worker(topology);
    await settled(() => a.holder('warm-up'));
    const primary = await topology.primaryPort();
    const replica = topology.servers.find((s) => s.port !== primary)!.port;
    await topology.cutReplica(replica, primary);
    expect(await a.acquire('tenant-y')).toBeUndefined();
    expect(await a.holder('tenant-y')).toBeUndefined();
  });

  it('with Sentinel defaults, the holder gives the tenant up before anyone can take it on the new primary, and tokens never repeat', async () => {
    topology = await startSentinelTopology();
    const a = worker(topology);
    const b = worker(topology);
    await settled(() => a.holder('warm-up'));
    const lease = (await a.acquire('tenant-z'))!;
    expect(lease).toBeDefined();
    const keeper = keepLease(a, lease, new AbortController().signal, logger);
    let lostAt: number | undefined;
    // As the job does once its lease is lost: it stops, and so do the renewals.
    keeper.lost.addEventListener('abort', () => {
      lostAt = Date.now();
      keeper.stop();
    });
    try {
      // Renewals after the cut reach the old primary only: they are refused as unacknowledged.
      const oldPrimary = await topology.primaryPort();
      const { failoverMs } = await failOverLosingWrites(topology, async () => {
        await expect(a.renew(lease)).rejects.toBeInstanceOf(LeaseNotReplicatedError);
      });
      // The new primary has no replica until the old one is back: leases wait for it (the cost of the guarantee).
      expect(await settled(() => b.acquire('tenant-other'))).toBeUndefined();
      await topology.restartServer(oldPrimary);
      let taken;
      const deadline = Date.now() + 10 * TTL_MS;
      while (!taken && Date.now() < deadline) {
        taken = await b.acquire('tenant-z').catch(() => undefined);
        if (!taken) await sleep(25);
      }
      const takenAt = Date.now();
      expect(taken, 'the lease is taken again once it expired on the new primary').toBeDefined();
      expect(taken!.token).toBeGreaterThan(lease.token);
      expect(lostAt, 'the keeper gave the lease up').toBeDefined();
      expect(lostAt!).toBeLessThanOrEqual(takenAt);
      expect(await a.isHeld(lease)).toBe(false);
      console.warn(`lease failover: primary replaced in ${failoverMs} ms; holder gave up ${takenAt - lostAt!} ms before the next acquisition`);
    } finally {
      keeper.stop();
    }
  });
});
