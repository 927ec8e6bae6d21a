import { describe, expect, it } from 'vitest';
import { problemOf, testApp, type TestApp } from './support/harness.ts';

const professional = { tier: 'professional' as const, customDomain: null, resourceOverrides: {}, hibernated: false };
const completed = {
  name: 'shop-r-20261204183000-9f2c',
  phase: 'completed',
  requestedBy: 'api',
  method: 'plugin',
  createdAt: '2026-12-04T18:30:00.000Z',
  startedAt: '2026-12-04T18:30:01Z',
  stoppedAt: '2026-12-04T18:30:42Z',
  backupId: '20261204T183001',
  wal: { begin: '000000010000000000000004', end: '000000010000000000000004' },
  error: null,
};

function withBackup(t: TestApp, tenantId: string) {
  t.registry.seed(tenantId, { desired: professional });
  t.cluster.backups.set(`${t.registry.namespaceOf(tenantId)}/${tenantId}-postgres`, [completed, { ...completed, name: 'x', phase: 'failed', backupId: null }]);
}
const restore = (t: TestApp, tenantId: string, body: unknown) => t.call(`/api/tenants/${tenantId}/restore`, { method: 'POST', body });

describe('POST /api/tenants/{tenantId}/restore', () => {
  it('202 with a restore job, and the next database generation recorded as the intent', async () => {
    const t = await testApp();
    withBackup(t, 'shop-r');
    const res = await restore(t, 'shop-r', { backupId: '20261204T183001' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; links: { job: string } };
    expect(res.headers.get('location')).toBe(body.links.job);
    expect([...t.queue.jobs.values()].map((j) => j.name)).toEqual(['restore']);
    const tenant = t.registry.tenants.get('shop-r')!;
    expect(tenant.desired.database).toEqual({ generation: 2, recovery: { fromGeneration: 1, target: { backupId: '20261204T183001' } } });
    expect(tenant.operation).toMatchObject({ type: 'restore', jobId: body.jobId, state: 'queued' });
    // A second while the first is pending: 409, nothing more queued.
    expect((await problemOf(await restore(t, 'shop-r', { targetTime: '2026-12-04T19:00:00Z' }), 409)).detail).toMatch(/being restored already/);
    expect(t.queue.jobs.size).toBe(1);
  });

  it('422 for a backup that is not a completed one of the serving database, a time outside its backups, or a body naming both or neither', async () => {
    const t = await testApp();
    withBackup(t, 'shop-r');
    const errors = async (body: unknown) => (await problemOf(await restore(t, 'shop-r', body), 422)).errors;
    expect(await errors({ backupId: '20200101T000000' })).toEqual([{ path: 'backupId', message: 'is no completed backup of shop-r-postgres' }]);
    expect((await errors({ targetTime: '2026-12-04T18:30:00Z' }))?.[0]?.message).toMatch(/is before the first completed backup of shop-r-postgres ended/);
    expect(await errors({ targetTime: '2999-01-01T00:00:00Z' })).toEqual([{ path: 'targetTime', message: 'is in the future' }]);
    for (const body of [{}, { backupId: '20261204T183001', targetTime: '2026-12-04T19:00:00Z' }, { backupId: 'latest' }]) {
      await problemOf(await restore(t, 'shop-r', body), 422);
    }
    expect(t.queue.jobs.size).toBe(0);
  });

  it('409 for a tier without backups, a hibernated tenant and one being removed; 404 for no tenant', async () => {
    const t = await testApp();
    t.registry.seed('free-one', { desired: { ...professional, tier: 'free' } });
    t.registry.seed('asleep', { desired: { ...professional, hibernated: true } });
    t.registry.seed('leaving', { desired: professional, operation: { type: 'deprovision', jobId: 'd1', state: 'active', at: new Date().toISOString() } });
    const body = { backupId: '20261204T183001' };
    expect((await problemOf(await restore(t, 'free-one', body), 409)).detail).toMatch(/Tier free .* has no backups to restore from/);
    expect((await problemOf(await restore(t, 'asleep', body), 409)).detail).toMatch(/hibernated/);
    expect((await problemOf(await restore(t, 'leaving', body), 409)).detail).toMatch(/being removed/);
    await problemOf(await restore(t, 'nobody-000000', body), 404);
    expect(t.queue.jobs.size).toBe(0);
  });
});
