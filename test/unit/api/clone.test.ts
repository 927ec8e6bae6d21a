import { describe, expect, it } from 'vitest';
import { completedBackup } from './support/backup-fixtures.ts';
import { problemOf, testApp, validProvision, type TestApp } from './support/harness.ts';

const professional = { tier: 'professional' as const, customDomain: null, resourceOverrides: {}, hibernated: false };

/** A template tenant on its second database generation, with two completed backups of it. */
function withSource(t: TestApp) {
  t.registry.seed('tpl-src', {
    desired: { ...professional, database: { generation: 2, recovery: { fromGeneration: 1, target: { backupId: '20261101T000000' } } } },
  });
  t.cluster.backups.set(`${t.registry.namespaceOf('tpl-src')}/tpl-src-postgres-g2`, [
    completedBackup('20261203T020000', '2026-02-03T02:01:00Z'),
    completedBackup('20261204T020000', '2026-02-04T02:01:00Z'),
    { ...completedBackup('20261205T020000', '2026-02-05T02:01:00Z'), phase: 'failed', backupId: null },
  ]);
}
const provision = (t: TestApp, body: Record<string, unknown>) => t.call('/api/provisioning/provision', { body: { ...validProvision, ...body } });

describe('POST /api/provisioning/provision with cloneFrom', () => {
  it('records a first database recovered from the source’s serving generation: its newest completed backup, a named one, a point in time', async () => {
    const t = await testApp();
    withSource(t);
    const cases: Array<[Record<string, unknown>, unknown]> = [
      [{ tenantId: 'tpl-src' }, { backupId: '20261204T020000' }],
      [{ tenantId: 'tpl-src', backupId: '20261203T020000' }, { backupId: '20261203T020000' }],
      [{ tenantId: 'tpl-src', targetTime: '2026-02-03T12:00:00+01:00' }, { targetTime: '2026-02-03T11:00:00.000Z' }],
    ];
    for (const [i, [cloneFrom, target]] of cases.entries()) {
      const res = await provision(t, { tenantId: `copy-${i}`, subscriptionTier: 'demo', cloneFrom });
      expect(res.status, await res.clone().text()).toBe(202);
      expect(t.registry.tenants.get(`copy-${i}`)!.desired.database).toEqual({ generation: 1, recovery: { fromTenant: 'tpl-src', fromGeneration: 2, target } });
    }
    expect([...t.queue.jobs.values()].map((j) => j.name)).toEqual(['provision', 'provision', 'provision']);
    // The source is only read: no write of any kind reached it.
    expect(t.registry.calls.filter((c) => c.includes('tpl-src') && !c.startsWith('read'))).toEqual([]);
  });

  it('422 naming cloneFrom for no source, a source being removed or without backups, and a target its backups rule out; nothing is created', async () => {
    const t = await testApp();
    withSource(t);
    t.registry.seed('free-src', { desired: { ...professional, tier: 'free' } });
    t.registry.seed('leaving-src', { desired: professional, operation: { type: 'deprovision', jobId: 'd1', state: 'active', at: new Date().toISOString() } });
    t.registry.seed('empty-src', { desired: professional });
    const refusal = async (cloneFrom: unknown) => (await problemOf(await provision(t, { tenantId: 'copy-x', cloneFrom }), 422)).errors;
    expect(await refusal({ tenantId: 'nobody-000000' })).toEqual([{ path: 'cloneFrom.tenantId', message: 'is no tenant (nobody-000000)' }]);
    expect(await refusal({ tenantId: 'leaving-src' })).toEqual([{ path: 'cloneFrom.tenantId', message: 'is being removed (leaving-src)' }]);
    expect(await refusal({ tenantId: 'free-src' })).toEqual([{ path: 'cloneFrom.tenantId', message: 'is on tier free, which has no backups to clone from' }]);
    expect(await refusal({ tenantId: 'empty-src' })).toEqual([
      { path: 'cloneFrom.tenantId', message: 'has nothing to clone from: empty-src-postgres has no completed backup yet' },
    ]);
    expect(await refusal({ tenantId: 'tpl-src', backupId: '20261205T020000' })).toEqual([
      { path: 'cloneFrom.backupId', message: 'is no completed backup of tpl-src-postgres-g2' },
    ]);
    expect(await refusal({ tenantId: 'tpl-src', targetTime: '2999-01-01T00:00:00Z' })).toEqual([{ path: 'cloneFrom.targetTime', message: 'is in the future' }]);
    for (const cloneFrom of [
      {},
      { tenantId: 'tpl-src', backupId: '20261203T020000', targetTime: '2026-12-03T12:00:00Z' },
      { tenantId: 'tpl-src', at: 'now' },
    ]) {
      await problemOf(await provision(t, { tenantId: 'copy-x', cloneFrom }), 422);
    }
    expect(t.registry.tenants.has('copy-x')).toBe(false);
    expect(t.queue.jobs.size).toBe(0);
  });

  it('POST validate lists what the provision would refuse about cloneFrom, creating nothing', async () => {
    const t = await testApp();
    withSource(t);
    const validate = async (cloneFrom: unknown) =>
      (await (await t.call('/api/provisioning/validate', { body: { ...validProvision, tenantId: 'copy-v', cloneFrom } })).json()) as {
        valid: boolean;
        errors: unknown[];
      };
    expect((await validate({ tenantId: 'tpl-src' })).errors).toEqual([]);
    expect(await validate({ tenantId: 'tpl-src', backupId: '20200101T000000' })).toMatchObject({
      valid: false,
      errors: [{ path: 'cloneFrom.backupId', message: 'is no completed backup of tpl-src-postgres-g2' }],
    });
    expect(t.registry.tenants.has('copy-v')).toBe(false);
  });
});
