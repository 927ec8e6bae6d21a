import { describe, expect, it } from 'vitest';
import { TenantConflictError, TenantNotFoundError } from '../../../src/domain/errors.ts';
import { requestPin, requestUnpin } from '../../../src/lifecycle/pin-intake.ts';
import { recordRunningVersion } from '../../../src/lifecycle/running-version.ts';
import { FakeIntents, tenantRecord } from '../worker/support/fake-intents.ts';

const version = { chart: '0.1.0', app: 'f44547f' };
const at = (iso: string) => () => new Date(iso);

function store() {
  const tenants = new FakeIntents();
  tenants.put(tenantRecord());
  return tenants;
}

describe('pinning through the intake', () => {
  it('records the version, the reason, who pinned and when on the tenant, and queues nothing', async () => {
    const tenants = store();
    const pin = await requestPin({ tenants, now: at('2026-03-01T10:00:00Z') }, 'acme-abc123', { version, reason: 'audit' }, 'ops@example.com');
    expect(pin).toEqual({ version, reason: 'audit', pinnedBy: 'ops@example.com', pinnedAt: '2026-03-01T10:00:00.000Z' });
    expect((await tenants.get('acme-abc123'))!.pin).toEqual(pin);
    expect(tenants.writes).toBe(1);
  });

  it('keeps the first pin when asked again for the same version and reason, and replaces it for another', async () => {
    const tenants = store();
    const first = await requestPin({ tenants, now: at('2026-03-01T10:00:00Z') }, 'acme-abc123', { version, reason: 'audit' }, 'ops');
    const again = await requestPin({ tenants, now: at('2026-03-02T10:00:00Z') }, 'acme-abc123', { version, reason: 'audit' }, 'someone-else');
    expect(again).toEqual(first);
    expect(tenants.writes).toBe(1);
    const moved = await requestPin({ tenants, now: at('2026-03-03T10:00:00Z') }, 'acme-abc123', { version: { ...version, app: 'v2' }, reason: 'audit' }, 'b');
    expect(moved).toMatchObject({ version: { app: 'v2' }, pinnedBy: 'b', pinnedAt: '2026-03-03T10:00:00.000Z' });
    expect(tenants.writes).toBe(2);
  });

  it('decides again on a conflicting write: a pin never undoes a write made between its read and its write', async () => {
    const tenants = store();
    tenants.beforeWrite = () => {
      const entry = tenants.tenants.get('acme-abc123')!;
      tenants.put({ ...entry.tenant, stripeCustomerId: 'cus_1' });
    };
    await requestPin({ tenants }, 'acme-abc123', { version, reason: 'audit' }, 'ops');
    expect(await tenants.get('acme-abc123')).toMatchObject({ stripeCustomerId: 'cus_1', pin: { version } });
  });

  it('unpins, and unpinning a tenant without a pin writes nothing', async () => {
    const tenants = store();
    await requestUnpin({ tenants }, 'acme-abc123');
    expect(tenants.writes).toBe(0);
    await requestPin({ tenants }, 'acme-abc123', { version, reason: 'audit' }, 'ops');
    await requestUnpin({ tenants }, 'acme-abc123');
    expect((await tenants.get('acme-abc123'))!.pin).toBeNull();
    expect(tenants.writes).toBe(2);
  });

  it('refuses a tenant being removed (409) and one that does not exist (404), writing nothing', async () => {
    const tenants = new FakeIntents();
    tenants.put(tenantRecord({ operation: { type: 'deprovision', jobId: 'd', state: 'queued', at: '2026-03-01T00:00:00.000Z' } }));
    await expect(requestPin({ tenants }, 'acme-abc123', { version, reason: 'r' }, 'ops')).rejects.toBeInstanceOf(TenantConflictError);
    await expect(requestUnpin({ tenants }, 'acme-abc123')).rejects.toBeInstanceOf(TenantConflictError);
    await expect(requestPin({ tenants }, 'nobody-000000', { version, reason: 'r' }, 'ops')).rejects.toBeInstanceOf(TenantNotFoundError);
    expect(tenants.writes).toBe(0);
  });
});

describe('the running version a deploy records', () => {
  const running = (revision: number, at: string) => ({
    chart: { name: 'c', version: '1' },
    app: `v${revision}`,
    images: {},
    valuesHash: 'sha256:00',
    revision,
    at,
  });

  it('is written over an older record, never under a newer one a later holder wrote, and again after a reinstall', async () => {
    const tenants = store();
    expect(await recordRunningVersion(tenants, 'acme-abc123', running(2, '2026-03-01T10:00:00.000Z'))).toBe(true);
    expect(await recordRunningVersion(tenants, 'acme-abc123', running(3, '2026-03-01T11:00:00.000Z'))).toBe(true);
    // A job that deployed revision 2, lost its lease and records late.
    expect(await recordRunningVersion(tenants, 'acme-abc123', running(2, '2026-03-01T10:30:00.000Z'))).toBe(false);
    expect((await tenants.get('acme-abc123'))!.running!.revision).toBe(3);
    // The release installed anew: revisions start again at 1, later than the record.
    expect(await recordRunningVersion(tenants, 'acme-abc123', running(1, '2026-03-01T12:00:00.000Z'))).toBe(true);
    expect((await tenants.get('acme-abc123'))!.running!.app).toBe('v1');
    expect(await recordRunningVersion(tenants, 'gone-000000', running(1, '2026-03-01T12:00:00.000Z'))).toBe(false);
  });
});
