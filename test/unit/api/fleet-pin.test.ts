import { describe, expect, it } from 'vitest';
import { IntentConflictError } from '../../../src/kubernetes/tenant-store.ts';
import type { FleetVersions } from '../../../src/services/fleet-versions.ts';
import { problemOf, testApp } from './support/harness.ts';

const running = (chart: string, app: string) => ({
  chart: { name: 'mechanicbuddy-tenant', version: chart },
  app,
  images: { api: `ghcr.io/mb/api:${app}` },
  valuesHash: 'sha256:00',
  revision: 2,
  at: '2026-03-01T00:00:00.000Z',
});
const fleetTarget = () => ({ chart: '0.2.0', app: 'v2' });

describe('PUT and DELETE /api/provisioning/{tenantId}/pin', () => {
  it('pins with the caller as pinnedBy, shows the pin in the status and the list, and unpins with 204', async () => {
    const t = await testApp({ deps: { fleetTarget } });
    t.registry.seed('shop-a', { running: running('0.1.0', 'v1') });
    const res = await t.call('/api/provisioning/shop-a/pin', { method: 'PUT', body: { version: { chart: '0.1.0', app: 'v1' }, reason: 'audit' } });
    expect(res.status).toBe(200);
    const pin = await res.json();
    // pinnedBy is the token's subject; pinnedAt the intake's clock.
    expect(pin).toEqual({
      version: { chart: '0.1.0', app: 'v1' },
      reason: 'audit',
      pinnedBy: 'ops@example.com',
      pinnedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(t.queue.jobs.size).toBe(0);
    const listed = (await (await t.call('/api/tenants')).json()) as { items: Array<{ version: unknown; pin: unknown }> };
    expect(listed.items[0]).toMatchObject({ version: { chart: '0.1.0', app: 'v1' }, pin });
    const status = await (await t.call('/api/provisioning/shop-a/status')).json();
    expect(status).toMatchObject({ running: running('0.1.0', 'v1'), pin });
    expect((await t.call('/api/provisioning/shop-a/pin', { method: 'DELETE' })).status).toBe(204);
    expect(t.registry.tenants.get('shop-a')!.pin).toBeNull();
    expect((await t.call('/api/provisioning/shop-a/pin', { method: 'DELETE' })).status).toBe(204);
  });

  it('answers 404 for no tenant, 409 for one being removed and 422 for a bad body, writing nothing', async () => {
    const t = await testApp();
    t.registry.seed('leaving', { operation: { type: 'deprovision', jobId: 'd', state: 'active', at: '2026-03-01T00:00:00.000Z' } });
    const body = { version: { chart: '0.1.0', app: 'v1' }, reason: 'audit' };
    await problemOf(await t.call('/api/provisioning/nobody-000000/pin', { method: 'PUT', body }), 404);
    await problemOf(await t.call('/api/provisioning/leaving/pin', { method: 'PUT', body }), 409);
    await problemOf(await t.call('/api/provisioning/leaving/pin', { method: 'DELETE' }), 409);
    const bad = await problemOf(await t.call('/api/provisioning/leaving/pin', { method: 'PUT', body: { version: { chart: '0.1.0' } } }), 422);
    expect(bad.errors?.map((e) => e.path).sort()).toEqual(['reason', 'version.app']);
    expect(t.registry.calls.filter((c) => c.startsWith('write'))).toEqual([]);
  });
});

describe('conflicting writes', () => {
  it('answer 409 with Retry-After once the intake has decided again five times and lost each race, for a pin as for an update', async () => {
    const t = await testApp();
    t.registry.seed('busy');
    let attempts = 0;
    t.registry.write = async (tenantId) => {
      attempts++;
      throw new IntentConflictError(tenantId);
    };
    const res = await t.call('/api/provisioning/busy/pin', { method: 'PUT', body: { version: { chart: '0.1.0', app: 'v1' }, reason: 'r' } });
    expect((await problemOf(res, 409)).detail).toBe('tenant busy changed concurrently; try again');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(attempts).toBe(5);
    await problemOf(await t.call('/api/provisioning/busy', { method: 'PUT', body: { resourceOverrides: { apiReplicas: 2 } } }), 409);
    expect(t.queue.jobs.size).toBe(0);
  });
});

describe('GET /api/fleet', () => {
  it('counts tenants per version and tier, marks the pinned and the target, and leaves tenants being removed out', async () => {
    const t = await testApp({ deps: { fleetTarget } });
    t.registry.seed('a', { running: running('0.2.0', 'v2') });
    t.registry.seed('b', { running: running('0.2.0', 'v2'), tier: 'free' });
    t.registry.seed('c', {
      running: running('0.1.0', 'v1'),
      pin: { version: { chart: '0.1.0', app: 'v1' }, reason: 'r', pinnedBy: 'ops', pinnedAt: '2026-03-01T00:00:00.000Z' },
    });
    t.registry.seed('d');
    t.registry.seed('e', { running: running('0.1.0', 'v1'), terminating: true });
    const res = await t.call('/api/fleet');
    expect(res.status).toBe(200);
    const fleet = (await res.json()) as FleetVersions;
    expect(fleet).toMatchObject({ target: { chart: '0.2.0', app: 'v2' }, tenants: 4, onTarget: 3 });
    expect(fleet.versions).toEqual([
      { version: { chart: '0.2.0', app: 'v2' }, tenants: 2, pinned: 0, byTier: { demo: 0, free: 1, professional: 1, enterprise: 0 }, onTarget: true },
      { version: { chart: '0.1.0', app: 'v1' }, tenants: 1, pinned: 1, byTier: { demo: 0, free: 0, professional: 1, enterprise: 0 }, onTarget: false },
      { version: { chart: 'unknown', app: 'unknown' }, tenants: 1, pinned: 0, byTier: { demo: 0, free: 0, professional: 1, enterprise: 0 }, onTarget: false },
    ]);
    expect(fleet.pinned.map((p) => [p.tenantId, p.running.app, p.pin.reason])).toEqual([['c', 'v1', 'r']]);
    // One paged list, no request per tenant.
    expect(t.registry.calls).toEqual(['list 200']);
  });

  it('is a 503 problem when the cluster cannot be read', async () => {
    const t = await testApp({ deps: { fleetTarget } });
    t.registry.failWith = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await problemOf(await t.call('/api/fleet'), 503);
  });
});
