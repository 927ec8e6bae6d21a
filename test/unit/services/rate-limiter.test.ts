import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../src/services/rate-limiter.ts';
import { FakeRedis } from '../api/support/fake-redis.ts';

describe('fixed-window rate limiter', () => {
  it('allows maxRequests per window and subject, then says when to retry', async () => {
    let now = 120_000 + 15_000; // 15 s into a 60 s window
    const redis = new FakeRedis();
    redis.now = () => now;
    const limiter = createRateLimiter(redis.asCommands(), { prefix: 'tp:rl', windowSeconds: 60, maxRequests: 2, now: () => now });
    expect(await limiter.hit('ops')).toEqual({ allowed: true, limit: 2, remaining: 1, resetSeconds: 45 });
    expect(await limiter.hit('ops')).toMatchObject({ allowed: true, remaining: 0 });
    expect(await limiter.hit('ops')).toEqual({ allowed: false, limit: 2, retryAfterSeconds: 45 });
    expect((await limiter.hit('other')).allowed).toBe(true);
    now += 45_000;
    expect((await limiter.hit('ops')).allowed).toBe(true);
  });

  it('expires its keys and keeps subjects out of key names', async () => {
    const redis = new FakeRedis();
    const now = 1_000_000;
    redis.now = () => now;
    const limiter = createRateLimiter(redis.asCommands(), { prefix: 'tp:rl', windowSeconds: 10, maxRequests: 5, now: () => now });
    await limiter.hit('ops@example.com');
    const [key] = redis.keys();
    expect(key).toMatch(/^tp:rl:[0-9a-f]{32}:[0-9]+$/);
    expect(redis.ttlOf(key!)).toBe(11_000);
  });
});
