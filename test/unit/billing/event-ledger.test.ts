import { describe, expect, it } from 'vitest';
import { createEventLedger } from '../../../src/billing/event-ledger.ts';
import { createSubscriptionLocks, SubscriptionBusyError } from '../../../src/billing/subscription-lock.ts';
import { FakeRedis } from '../api/support/fake-redis.ts';

const DAY_MS = 86_400_000;

describe('event ledger', () => {
  const setup = () => {
    const redis = new FakeRedis();
    const ledger = createEventLedger(redis.asCommands(), { prefix: 'tp:billing:event', retentionSeconds: 30 * 86_400, processingSeconds: 60 });
    return { redis, ledger };
  };

  it('claims an event once; a second delivery during processing is in progress; after completion a duplicate', async () => {
    const { redis, ledger } = setup();
    // A fixed clock: the TTL read back must not depend on a millisecond passing between write and read.
    const now = Date.now();
    redis.now = () => now;
    const first = await ledger.claim('evt_1');
    expect(first.kind).toBe('claimed');
    expect((await ledger.claim('evt_1')).kind).toBe('in-progress');
    expect(redis.ttlOf('tp:billing:event:evt_1')).toBeLessThanOrEqual(60_000);
    if (first.kind === 'claimed') await first.complete();
    expect((await ledger.claim('evt_1')).kind).toBe('duplicate');
    expect(redis.ttlOf('tp:billing:event:evt_1')).toBe(30 * DAY_MS);
  });

  it("forgets a released claim, so Stripe's redelivery runs again", async () => {
    const { ledger } = setup();
    const first = await ledger.claim('evt_2');
    if (first.kind === 'claimed') await first.release();
    expect((await ledger.claim('evt_2')).kind).toBe('claimed');
  });

  it("lets a crashed delivery's marker expire, and its late release does not remove the new claim", async () => {
    const { redis, ledger } = setup();
    let now = Date.now();
    redis.now = () => now;
    const crashed = await ledger.claim('evt_3');
    now += 61_000;
    const retry = await ledger.claim('evt_3');
    expect(retry.kind).toBe('claimed');
    if (crashed.kind === 'claimed') await crashed.release();
    expect((await ledger.claim('evt_3')).kind).toBe('in-progress');
  });

  it('keeps events apart', async () => {
    const { ledger } = setup();
    expect((await ledger.claim('evt_a')).kind).toBe('claimed');
    expect((await ledger.claim('evt_b')).kind).toBe('claimed');
  });
});

describe('subscription locks', () => {
  it('runs work for one subscription one at a time, and others in parallel', async () => {
    const redis = new FakeRedis();
    const locks = createSubscriptionLocks(redis.asCommands(), { prefix: 'tp:billing:lock', pollMs: 5 });
    const order: string[] = [];
    const work = (name: string, ms: number) => async () => {
      order.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`${name} end`);
    };
    await Promise.all([locks.withLock('sub_1', work('a', 30)), locks.withLock('sub_1', work('b', 1)), locks.withLock('sub_2', work('c', 1))]);
    expect(order.indexOf('b start')).toBeGreaterThan(order.indexOf('a end'));
    expect(order.indexOf('c end')).toBeLessThan(order.indexOf('a end'));
    expect(redis.keys()).toEqual([]);
  });

  it('gives up after waiting, with an error the webhook answers as retry-later', async () => {
    const redis = new FakeRedis();
    const locks = createSubscriptionLocks(redis.asCommands(), { prefix: 'tp:billing:lock', waitMs: 30, pollMs: 5 });
    let release!: () => void;
    const held = locks.withLock(
      'sub_1',
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await expect(locks.withLock('sub_1', async () => 'never')).rejects.toBeInstanceOf(SubscriptionBusyError);
    release();
    await held;
  });

  it('releases the lock when the work throws', async () => {
    const redis = new FakeRedis();
    const locks = createSubscriptionLocks(redis.asCommands(), { prefix: 'tp:billing:lock' });
    await expect(
      locks.withLock('sub_1', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(redis.keys()).toEqual([]);
  });
});
