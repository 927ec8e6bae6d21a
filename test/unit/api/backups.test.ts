import { describe, expect, it } from 'vitest';
import { BackupJob } from '../../../src/jobs/job-catalog.ts';
import { problemOf, testApp } from './support/harness.ts';

const professional = { tier: 'professional' as const, customDomain: null, resourceOverrides: {}, hibernated: false };

describe('POST /api/tenants/{tenantId}/backups', () => {
  it('202 with a backup job beside the tenant: no intent written, the Backup named in the payload and the answer', async () => {
    const t = await testApp();
    t.registry.seed('shop-b', { desired: professional });
    const before = structuredClone(t.registry.tenants.get('shop-b'));
    const res = await t.call('/api/tenants/shop-b/backups', { method: 'POST' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; backupName: string; links: { job: string } };
    expect(res.headers.get('location')).toBe(body.links.job);
    expect(body.backupName).toMatch(/^shop-b-\d{14}-[0-9a-f]{4}$/);
    expect(body.jobId).toBe(`backup-${body.backupName}`);
    const jobs = [...t.queue.jobs.values()];
    expect(jobs.map((j) => j.name)).toEqual(['backup']);
    expect(BackupJob.parse(jobs[0]!.data)).toMatchObject({ tenantId: 'shop-b', backupName: body.backupName, requestedBy: 'api' });
    // Nothing the tenant's record describes changes: no marker, no desired state.
    expect(t.registry.tenants.get('shop-b')).toEqual(before);
  });

  it('409 for a tier without backups, a hibernated database and a tenant being removed; 404 for no tenant; nothing queued', async () => {
    const t = await testApp();
    t.registry.seed('free-one', { desired: { ...professional, tier: 'free' } });
    t.registry.seed('asleep', { desired: { ...professional, hibernated: true } });
    t.registry.seed('leaving', { desired: professional, operation: { type: 'deprovision', jobId: 'd1', state: 'active', at: new Date().toISOString() } });
    expect((await problemOf(await t.call('/api/tenants/free-one/backups', { method: 'POST' }), 409)).detail).toMatch(/Tier free .* has no backups/);
    expect((await problemOf(await t.call('/api/tenants/asleep/backups', { method: 'POST' }), 409)).detail).toMatch(/hibernated/);
    expect((await problemOf(await t.call('/api/tenants/leaving/backups', { method: 'POST' }), 409)).detail).toMatch(/being removed/);
    await problemOf(await t.call('/api/tenants/nobody-000000/backups', { method: 'POST' }), 404);
    expect(t.queue.jobs.size).toBe(0);
  });
});

describe('GET /api/tenants/{tenantId}/backups', () => {
  it("lists the tenant database's backups as the workloads reader gives them, and 404 for no tenant", async () => {
    const t = await testApp();
    t.registry.seed('shop-b', { desired: professional });
    const backup = {
      name: 'shop-b-20261204183000-9f2c',
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
    t.cluster.backups.set(`${t.registry.namespaceOf('shop-b')}/shop-b-postgres`, [backup]);
    const res = await t.call('/api/tenants/shop-b/backups');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tenantId: 'shop-b', backups: [backup] });
    await problemOf(await t.call('/api/tenants/nobody-000000/backups'), 404);
  });
});
