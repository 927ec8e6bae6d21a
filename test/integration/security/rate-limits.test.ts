import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownPrefixes } from '../../support/config-override.ts';
import { TEST_JWT_SECRET } from '../../support/service-deps.ts';
import { mintToken } from '../../unit/api/support/tokens.ts';
import { startStack, type Stack } from './support/stack.ts';

// Per-subject rate limits on the service as composed for production, counted in real Redis: past
// its budget a subject gets 429 problems with Retry-After on every /api route (reads, changes and
// the event stream alike) while others are unaffected, concurrent requests cannot overspend the
// budget, and a refused change changes nothing.
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const BUDGET = 5;
const WINDOW_SECONDS = 60;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    kubeconfig,
    redisUrl,
    api: true,
    override: { ...ownPrefixes('rl'), http: { bodyLimitBytes: 1_048_576, rateLimit: { windowSeconds: WINDOW_SECONDS, maxRequests: BUDGET } } },
  });
});

afterAll(async () => {
  await stack?.close();
});

const as =
  (token: string) =>
  (path: string, init: RequestInit = {}) =>
    fetch(`${stack.baseUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers } });
/** Fixed windows: a test that would straddle a window's end waits for the next one instead. */
async function freshWindow(): Promise<void> {
  const left = WINDOW_SECONDS * 1000 - (Date.now() % (WINDOW_SECONDS * 1000));
  if (left < 10_000) await sleep(left + 50);
}
const subject = (name: string) => mintToken({ sub: `${name}-${Math.random().toString(16).slice(2, 8)}@example.com` }, TEST_JWT_SECRET);

describe('per-subject rate limits', () => {
  it('answers 429 with Retry-After past the budget, on every route, for that subject only', async () => {
    await freshWindow();
    const call = as(await subject('noisy'));
    for (let i = 0; i < BUDGET; i += 1) {
      const ok = await call('/api/tenants');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(BUDGET - 1 - i));
    }
    const provision = { companyName: 'Rate Limited Garage', ownerEmail: 'o@example.com', ownerFirstName: 'A', ownerLastName: 'B', subscriptionTier: 'free' };
    for (const [path, init] of [
      ['/api/tenants', {}],
      ['/api/provisioning/provision', { method: 'POST', body: JSON.stringify(provision) }],
      ['/api/provisioning/nx-tenant/hibernate', { method: 'POST' }],
      ['/api/jobs/nx-job/events', {}],
      ['/api/provisioning/generate-id?companyName=Acme', {}],
    ] as const) {
      const limited = await call(path, init);
      expect(limited.status, path).toBe(429);
      expect(limited.headers.get('content-type')).toBe('application/problem+json');
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_SECONDS, `Retry-After ${retryAfter}`).toBe(true);
      expect(((await limited.json()) as { type: string }).type).toBe('tag:tenant-provisioner,2026:problem:rate_limited');
    }
    // Someone else is not held up by the noisy subject.
    expect((await as(await subject('quiet'))('/api/tenants')).status).toBe(200);
    // The refused provision created nothing.
    const namespaces = (await stack.shared.kube.core.listNamespace()).items.map((n) => n.metadata!.name!);
    expect(namespaces.filter((n) => n.startsWith(stack.config.platform.namespacePrefix))).toEqual([]);
    expect(Object.values(await stack.queue!.getJobCounts()).every((n) => n === 0)).toBe(true);
  });

  it('lets exactly the budget through when a subject sends many requests at once', async () => {
    await freshWindow();
    const call = as(await subject('burst'));
    const statuses = await Promise.all(Array.from({ length: 25 }, () => call('/api/tenants').then(async (r) => (await r.arrayBuffer(), r.status))));
    expect(statuses.filter((s) => s === 200)).toHaveLength(BUDGET);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25 - BUDGET);
  });

  it('counts per subject, not per token: a fresh token for the same subject has no new budget', async () => {
    await freshWindow();
    const sub = `rotating-${Math.random().toString(16).slice(2, 8)}@example.com`;
    for (let i = 0; i < BUDGET; i += 1) expect((await as(await mintToken({ sub }, TEST_JWT_SECRET))('/api/tenants')).status).toBe(200);
    expect((await as(await mintToken({ sub, jti: 'another' }, TEST_JWT_SECRET))('/api/tenants')).status).toBe(429);
  });
});
