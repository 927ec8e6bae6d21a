import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { leaseRedisOptions } from '../../../src/composition/redis-connections.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { keepLease, LeaseLostError } from '../../../src/worker/lease-keeper.ts';
import { createTenantLeases } from '../../../src/worker/tenant-lease.ts';
import { startRedisServer } from '../../support/redis-server.ts';

const redis = new Redis(inject('redisUrl'));
const prefix = `lease${randomBytes(3).toString('hex')}`;
const leases = createTenantLeases(redis, { prefix, ttlMs: 300 });

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('tenant lease on real Redis', () => {
  it('lets exactly one of many concurrent acquirers in, and each later holder gets a higher token', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => leases.acquire('t1')));
    const winners = results.filter((l) => l !== undefined);
    expect(winners).toHaveLength(1);
    await sleep(350);
    const next = await leases.acquire('t1');
    expect(next!.token).toBeGreaterThan(winners[0]!.token);
    // The expired holder can neither renew, nor pass the fencing check, nor release the new lease.
    expect(await leases.renew(winners[0]!)).toBe(false);
    expect(await leases.isHeld(winners[0]!)).toBe(false);
    await leases.release(winners[0]!);
    expect(await leases.holder('t1')).toBe(next!.token);
    await leases.release(next!);
    expect(await leases.holder('t1')).toBeUndefined();
  });

  it('keeps a renewed lease past its TTL, and tenants do not block each other', async () => {
    const lease = (await leases.acquire('t2'))!;
    expect(await leases.acquire('t3')).toBeDefined();
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      expect(await leases.renew(lease)).toBe(true);
    }
    expect(await leases.isHeld(lease)).toBe(true);
    expect(await leases.acquire('t2')).toBeUndefined();
  });

  it("forgets a tenant's fence counter once no lease could be live, and never while one is: tokens never go backwards", async () => {
    const fenced = createTenantLeases(redis, { prefix, ttlMs: 200, fenceTtlMs: 500 });
    const fence = `${prefix}:tenant-fence:{t4}`;
    const lease = `${prefix}:tenant-lease:{t4}`;
    const first = (await fenced.acquire('t4'))!;
    // A job that runs for twice the counter's TTL, renewing: the counter must outlive its lease throughout.
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      expect(await fenced.renew(first)).toBe(true);
      const [fencePttl, leasePttl] = await Promise.all([redis.pttl(fence), redis.pttl(lease)]);
      expect(fencePttl).toBeGreaterThan(0);
      expect(fencePttl).toBeGreaterThanOrEqual(leasePttl);
    }
    await fenced.release(first);
    const second = (await fenced.acquire('t4'))!;
    expect(second.token).toBeGreaterThan(first.token);
    // Unrenewed: the lease expires, then the counter, and the key is gone (no key per tenant for ever).
    await sleep(250);
    expect(await fenced.acquire('t4')).toBeDefined();
    await sleep(600);
    expect(await redis.exists(fence, lease)).toBe(0);
  });
});

describe('tenant lease on a Redis that hangs', () => {
  it('fails a lease command within the command timeout, and the holder gives the lease up before it could expire', async () => {
    // A Redis of this test's own, stopped with SIGSTOP: connections stay open and nothing answers.
    const server = await startRedisServer();
    const ttlMs = 900;
    const connection = new Redis(server.url, leaseRedisOptions(ttlMs));
    connection.on('error', () => undefined);
    const pid = Number(/process_id:(\d+)/.exec(await connection.info('server'))![1]);
    try {
      const hung = createTenantLeases(connection, { prefix: 'hang', ttlMs });
      const lease = (await hung.acquire('t1'))!;
      const keeper = keepLease(hung, lease, new AbortController().signal, createLogger({ level: 'silent', pretty: false }), { marginMs: 200 });
      process.kill(pid, 'SIGSTOP');
      const started = Date.now();
      await expect(hung.isHeld(lease)).rejects.toThrow(/timed out/i);
      expect(Date.now() - started).toBeLessThan(ttlMs);
      await new Promise((resolve) => keeper.signal.addEventListener('abort', resolve, { once: true }));
      // Given up at acquire + TTL − margin: before Redis could hand the tenant to another worker.
      expect(Date.now() - lease.acquiredAt).toBeLessThan(ttlMs);
      expect(keeper.signal.reason).toBeInstanceOf(LeaseLostError);
      keeper.stop();
    } finally {
      process.kill(pid, 'SIGCONT');
      connection.disconnect();
      await server.stop();
    }
  });
});
