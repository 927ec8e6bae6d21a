import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../src/domain/fingerprint.ts';
import { createIdempotencyStore } from '../../../src/services/idempotency-store.ts';
import { FakeRedis } from '../api/support/fake-redis.ts';

const response = { status: 202, body: { jobId: 'j1' }, headers: { Location: '/api/jobs/j1' } };

function store(redis = new FakeRedis()) {
  const now = Date.now();
  redis.now = () => now;
  return { redis, store: createIdempotencyStore(redis.asCommands(), { prefix: 'tp:idem', ttlSeconds: 86_400, pendingTtlSeconds: 60 }) };
}

describe('idempotency store', () => {
  it('claims a new key with a short-lived pending marker, then remembers the response for 24 h', async () => {
    const { redis, store: s } = store();
    const claim = await s.claim('ops', 'k1', 'f1');
    expect(claim.kind).toBe('claimed');
    const [key] = redis.keys();
    expect(key).toMatch(/^tp:idem:[0-9a-f]{64}$/);
    expect(redis.ttlOf(key!)).toBe(60_000);
    if (claim.kind === 'claimed') await claim.complete(response);
    expect(redis.ttlOf(key!)).toBe(86_400_000);
    expect(await s.claim('ops', 'k1', 'f1')).toEqual({ kind: 'replay', response });
  });

  it('tells a different body, a request in flight, and another caller apart', async () => {
    const { store: s } = store();
    await s.claim('ops', 'k1', 'f1');
    expect(await s.claim('ops', 'k1', 'f2')).toEqual({ kind: 'mismatch' });
    expect(await s.claim('ops', 'k1', 'f1')).toEqual({ kind: 'in-progress' });
    expect((await s.claim('someone-else', 'k1', 'f1')).kind).toBe('claimed');
  });

  it('frees the key on release so a failed request can be retried', async () => {
    const { store: s } = store();
    const claim = await s.claim('ops', 'k1', 'f1');
    if (claim.kind === 'claimed') await claim.release();
    expect((await s.claim('ops', 'k1', 'f1')).kind).toBe('claimed');
  });

  it('lets exactly one of many concurrent claims win', async () => {
    const { store: s } = store();
    const claims = await Promise.all(Array.from({ length: 10 }, () => s.claim('ops', 'k1', 'f1')));
    expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
  });

  it('fingerprints JSON independently of key order and undefined fields', () => {
    expect(fingerprintOf({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(fingerprintOf({ b: { d: 'x', c: [1, 2] }, a: 1, e: undefined }));
    expect(fingerprintOf({ a: 1 })).not.toBe(fingerprintOf({ a: '1' }));
    expect(fingerprintOf({ a: [1, 2] })).not.toBe(fingerprintOf({ a: [2, 1] }));
  });
});
