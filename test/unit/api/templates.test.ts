import { describe, expect, it } from 'vitest';
import { completedBackup } from './support/backup-fixtures.ts';
import { problemOf, testApp, type TestApp } from './support/harness.ts';

const professional = { tier: 'professional' as const, customDomain: null, resourceOverrides: {}, hibernated: false };
const mark = (t: TestApp, tenantId: string, body: unknown) => t.call(`/api/tenants/${tenantId}/template`, { method: 'PUT', body });

describe('templates', () => {
  it('marks a tenant, keeps the first mark for the same description, lists it with its newest completed backup, and unmarks it', async () => {
    const t = await testApp();
    t.registry.seed('tpl-a', { desired: professional });
    t.registry.seed('plain-b', { desired: professional });
    t.cluster.backups.set(`${t.registry.namespaceOf('tpl-a')}/tpl-a-postgres`, [
      completedBackup('20260201T020000', '2026-02-01T02:01:00Z'),
      completedBackup('20260202T020000', '2026-02-02T02:01:00Z'),
      { ...completedBackup('20260203T020000', '2026-02-03T02:01:00Z'), phase: 'failed' },
    ]);
    const res = await mark(t, 'tpl-a', { description: 'Sample shop' });
    expect(res.status).toBe(200);
    const first = (await res.json()) as { markedAt: string; markedBy: string };
    expect(first).toMatchObject({ description: 'Sample shop', markedBy: expect.any(String) });
    expect(await (await mark(t, 'tpl-a', { description: 'Sample shop' })).json()).toEqual(first);
    expect(t.queue.jobs.size).toBe(0);

    const list = await (await t.call('/api/templates')).json();
    expect(list).toEqual({
      templates: [
        { tenantId: 'tpl-a', tier: 'professional', template: first, newestBackup: { backupId: '20260202T020000', stoppedAt: '2026-02-02T02:01:00Z' } },
      ],
    });
    expect((await t.call('/api/tenants/tpl-a/template', { method: 'DELETE' })).status).toBe(204);
    expect((await t.call('/api/tenants/tpl-a/template', { method: 'DELETE' })).status).toBe(204);
    expect(await (await t.call('/api/templates')).json()).toEqual({ templates: [] });
  });

  it('409 for a tier without backups and a tenant being removed, 404 for none, 422 for a bad description', async () => {
    const t = await testApp();
    t.registry.seed('free-c', { desired: { ...professional, tier: 'free' } });
    t.registry.seed('leaving-d', { desired: professional, operation: { type: 'deprovision', jobId: 'd1', state: 'active', at: new Date().toISOString() } });
    t.registry.seed('tpl-e', { desired: professional });
    expect((await problemOf(await mark(t, 'free-c', { description: 'x' }), 409)).detail).toMatch(/no backups for clones/);
    expect((await problemOf(await mark(t, 'leaving-d', { description: 'x' }), 409)).detail).toMatch(/being removed/);
    await problemOf(await mark(t, 'nobody-000000', { description: 'x' }), 404);
    for (const body of [{}, { description: '' }, { description: 'a\u0007b' }, { description: 'x'.repeat(201) }, { description: 'x', extra: 1 }]) {
      await problemOf(await mark(t, 'tpl-e', body), 422);
    }
    expect(t.registry.tenants.get('tpl-e')!.template).toBeUndefined();
  });
});
