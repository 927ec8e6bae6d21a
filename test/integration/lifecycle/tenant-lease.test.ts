import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTenantLeases } from '../../../src/worker/tenant-lease.ts';

const redis = new Redis(inject('redisUrl'));
const leases = createTenantLeases(redis, { prefix: `lease${randomBytes(3).toString('hex')}`, ttlMs: 300 });

afterAll(async () => {
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
});
