import { describe, expect, it } from 'vitest';
import { problemOf, testApp } from './support/harness.ts';
import { runningVersion } from './support/running-version.ts';

const running = (app: string) => runningVersion(app, { slot: 'blue' });
const service = (slot: string) => `---\napiVersion: v1\nkind: Service\nmetadata:\n  name: shop-a-api\nspec:\n  selector:\n    slot: ${slot}\n`;

describe('PUT /api/provisioning/{tenantId}?dryRun=true', () => {
  it('answers 200 with the object diff and the blue-green switch it would be, writing and queueing nothing', async () => {
    const t = await testApp();
    t.registry.seed('shop-a', { running: running('v1') });
    const before = structuredClone(t.registry.tenants.get('shop-a'));
    t.helm.live = service('blue');
    t.helm.rendered = `${service('green')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-a-api-green\n`;
    const res = await t.call('/api/provisioning/shop-a?dryRun=true', { method: 'PUT', body: { appVersion: 'v2' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tenantId: 'shop-a',
      dryRun: true,
      switch: { from: 'blue', to: 'green' },
      changes: [
        { kind: 'Deployment', name: 'shop-a-api-green', action: 'create', paths: [] },
        { kind: 'Service', name: 'shop-a-api', action: 'update', paths: ['spec.selector.slot'] },
      ],
    });
    expect(t.registry.tenants.get('shop-a')).toEqual(before);
    expect(t.queue.jobs.size).toBe(0);
    // The same refusals as the update itself; dryRun=false is the update.
    await problemOf(await t.call('/api/provisioning/nobody-000000?dryRun=true', { method: 'PUT', body: { appVersion: 'v2' } }), 404);
    await problemOf(await t.call('/api/provisioning/shop-a?dryRun=yes', { method: 'PUT', body: { appVersion: 'v2' } }), 422);
    expect((await t.call('/api/provisioning/shop-a?dryRun=false', { method: 'PUT', body: { appVersion: 'v2' } })).status).toBe(202);
  });

  it('answers a labels-only change with no object changes and renders nothing: labels are namespace metadata', async () => {
    const t = await testApp();
    t.registry.seed('shop-a', { running: running('v1') });
    const before = structuredClone(t.registry.tenants.get('shop-a'));
    t.helm.live = service('blue');
    t.helm.rendered = service('blue');
    const res = await t.call('/api/provisioning/shop-a?dryRun=true', { method: 'PUT', body: { labels: { team: 'north' } } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tenantId: 'shop-a', dryRun: true, switch: null, changes: [] });
    expect(t.helm.templates).toBe(0);
    expect(t.registry.tenants.get('shop-a')).toEqual(before);
    // Refused as the change itself would be.
    await problemOf(await t.call('/api/provisioning/nobody-000000?dryRun=true', { method: 'PUT', body: { labels: { team: 'north' } } }), 404);
  });
});
