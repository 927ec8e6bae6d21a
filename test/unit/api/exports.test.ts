import { describe, expect, it } from 'vitest';
import { ExportJob } from '../../../src/jobs/job-catalog.ts';
import type { RunningVersion } from '../../../src/domain/tenant-version.ts';
import { problemOf, testApp } from './support/harness.ts';

const professional = { tier: 'professional' as const, customDomain: null, resourceOverrides: {}, hibernated: false };
const at = '2026-01-01T00:00:00.000Z';
const runningChart = (version: string): RunningVersion => ({
  chart: { name: 'mechanicbuddy-tenant', version },
  app: 'f44547f',
  images: {},
  valuesHash: 'sha256:0',
  revision: 1,
  at,
});

describe('POST /api/tenants/{tenantId}/exports', () => {
  it('202 with an export job: no intent written, the export id names the job and is answered with a link to the export', async () => {
    const t = await testApp();
    t.registry.seed('shop-b', { desired: professional });
    const before = structuredClone(t.registry.tenants.get('shop-b'));
    const res = await t.call('/api/tenants/shop-b/exports', { method: 'POST' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; exportId: string; links: { job: string } };
    expect(res.headers.get('location')).toBe(body.links.job);
    expect(body.exportId).toMatch(/^shop-b-\d{14}-[0-9a-f]{4}$/);
    expect(body.jobId).toBe(`export-${body.exportId}`);
    const jobs = [...t.queue.jobs.values()];
    expect(jobs.map((j) => j.name)).toEqual(['export']);
    expect(ExportJob.parse(jobs[0]!.data)).toMatchObject({ tenantId: 'shop-b', exportId: body.exportId });
    expect(t.registry.tenants.get('shop-b')).toEqual(before);
  });

  it('accepts a closed account (its data on the way out) and refuses what has nothing to dump or nowhere to put it; nothing queued for those', async () => {
    const t = await testApp();
    const closed = { at, purgeAfter: '2026-02-01T00:00:00.000Z', hibernated: false };
    t.registry.seed('closed-one', {
      desired: { ...professional, hibernated: true, closed },
      operation: { type: 'deprovision', jobId: 'd0', state: 'completed', at },
    });
    t.registry.seed('free-one', { desired: { ...professional, tier: 'free' } });
    t.registry.seed('asleep', { desired: { ...professional, hibernated: true } });
    t.registry.seed('old-chart', { desired: professional, running: runningChart('0.7.0') });
    t.registry.seed('leaving', { desired: professional, operation: { type: 'deprovision', jobId: 'd1', state: 'active', at } });
    const refused = async (id: string, status: number) => (await problemOf(await t.call(`/api/tenants/${id}/exports`, { method: 'POST' }), status)).detail;
    expect(await refused('free-one', 409)).toMatch(/tier free has no backup store/);
    expect(await refused('asleep', 409)).toMatch(/hibernated; resume it first/);
    expect(await refused('old-chart', 409)).toMatch(/runs tenant chart 0\.7\.0, and an export needs 0\.8\.0 or later/);
    expect(await refused('leaving', 409)).toMatch(/being removed/);
    await problemOf(await t.call('/api/tenants/nobody-000000/exports', { method: 'POST' }), 404);
    expect(t.queue.jobs.size).toBe(0);
    expect((await t.call('/api/tenants/closed-one/exports', { method: 'POST' })).status).toBe(202);
    expect([...t.queue.jobs.values()].map((j) => j.data.tenantId)).toEqual(['closed-one']);
  });

  it('refuses every export when the backup store is not S3 (no presigned URLs elsewhere)', async () => {
    const t = await testApp({
      config: (c) => void (c.platform.backup = { ...c.platform.backup, provider: 'gcs', destinationPrefix: 'gs://b/t', s3: undefined }),
    });
    t.registry.seed('shop-b', { desired: professional });
    expect((await problemOf(await t.call('/api/tenants/shop-b/exports', { method: 'POST' }), 409)).detail).toMatch(
      /S3 stores only, and the backup store is gcs/,
    );
  });
});

describe('GET /api/tenants/{tenantId}/exports/{exportId}', () => {
  it("404 for another tenant's export id, for an export that neither runs nor exists, and for one of a tenant without a backup store (whose list is empty)", async () => {
    const t = await testApp();
    t.registry.seed('shop-b', { desired: professional });
    t.registry.seed('free-one', { desired: { ...professional, tier: 'free' } });
    expect((await problemOf(await t.call('/api/tenants/shop-b/exports/other-000000-20261205000000-abcd'), 404)).detail).toMatch(/no export/);
    expect((await problemOf(await t.call('/api/tenants/free-one/exports/free-one-20261205000000-abcd'), 404)).detail).toMatch(/no backup store/);
    expect(await (await t.call('/api/tenants/free-one/exports')).json()).toEqual({ tenantId: 'free-one', exports: [] });
    await problemOf(await t.call('/api/tenants/nobody-000000/exports/nobody-000000-20261205000000-abcd'), 404);
    await problemOf(await t.call('/api/tenants/shop-b/exports/Not_An_Id'), 422);
  });
});
