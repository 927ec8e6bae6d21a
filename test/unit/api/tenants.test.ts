import { describe, expect, it } from 'vitest';
import type { TenantList } from '../../../src/api/tenants/tenants.schemas.ts';
import { problemOf, testApp } from './support/harness.ts';

const list = async (t: Awaited<ReturnType<typeof testApp>>, query: string) => {
  const res = await t.call(`/api/tenants${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as TenantList;
};

describe('GET /api/tenants', () => {
  it('pages through every tenant with nextCursor', async () => {
    const t = await testApp();
    for (let i = 0; i < 5; i += 1) t.registry.seed(`shop-${i}`);
    const first = await list(t, '?limit=2');
    expect(first.items.map((x) => x.tenantId)).toEqual(['shop-0', 'shop-1']);
    expect(first.items[0]).toEqual({
      tenantId: 'shop-0',
      namespace: 'tenant-shop-0',
      tier: 'professional',
      phase: 'ready',
      companyName: 'Company shop-0',
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: null,
      version: { chart: 'unknown', app: 'unknown' },
      pin: null,
      labels: {},
      closed: null,
    });
    const second = await list(t, `?limit=2&cursor=${first.nextCursor}`);
    const third = await list(t, `?limit=2&cursor=${second.nextCursor}`);
    expect([...second.items, ...third.items].map((x) => x.tenantId)).toEqual(['shop-2', 'shop-3', 'shop-4']);
    expect(third.nextCursor).toBeNull();
  });

  it('filters by tier in the API server and by phase here, without overshooting or skipping', async () => {
    const t = await testApp();
    t.registry.seed('a-ready');
    t.registry.seed('b-failed', { operation: { type: 'provision', jobId: 'j', state: 'failed', at: '2026-01-01T00:00:00Z' } });
    t.registry.seed('c-ready');
    t.registry.seed('d-failed', { operation: { type: 'deprovision', jobId: 'j', state: 'failed', at: '2026-01-01T00:00:00Z' } });
    t.registry.seed('e-demo', { tier: 'demo' });
    const failed = await list(t, '?phase=failed&limit=1');
    expect(failed.items.map((x) => x.tenantId)).toEqual(['b-failed']);
    const rest = await list(t, `?phase=failed&limit=1&cursor=${failed.nextCursor}`);
    expect(rest.items.map((x) => x.tenantId)).toEqual(['d-failed']);
    expect((await list(t, '?tier=demo')).items.map((x) => x.tenantId)).toEqual(['e-demo']);
    expect(t.registry.calls.every((call) => !call.startsWith('get'))).toBe(true);
  });

  it('rejects bad filters with 422 naming the field, and an expired cursor with 400', async () => {
    const t = await testApp();
    expect((await problemOf(await t.call('/api/tenants?tier=gold'), 422)).errors?.[0]?.path).toBe('tier');
    expect((await problemOf(await t.call('/api/tenants?limit=0'), 422)).errors?.[0]?.path).toBe('limit');
    expect((await problemOf(await t.call('/api/tenants?phase=sleeping'), 422)).errors?.[0]?.path).toBe('phase');
    const reserved = await problemOf(await t.call('/api/tenants?label=kubernetes.io/os=linux'), 422);
    expect(reserved.errors).toEqual([{ path: 'label', message: 'key kubernetes.io/os uses the reserved prefix kubernetes.io' }]);
    expect((await problemOf(await t.call('/api/tenants?label=team'), 422)).errors?.[0]?.path).toBe('label');
    expect((await problemOf(await t.call('/api/tenants?cursor=stale'), 400)).detail).toMatch(/cursor/);
  });
});
