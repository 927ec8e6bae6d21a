import { describe, expect, it } from 'vitest';
import { imagesAtVersion, stackImagesOf } from '../../../src/domain/slots.ts';
import { problemOf, testApp } from './support/harness.ts';
import { runningVersion } from './support/running-version.ts';

const running = (slot: 'blue' | 'green', app: string) => runningVersion(app, { slot, revision: 3 });

describe('POST /api/tenants/{tenantId}/rollback', () => {
  it('inside a switch window: 202 with a job, the intent swapped back to the previous slot and its release, the window kept', async () => {
    const t = await testApp();
    const platform = stackImagesOf(t.config.platform.images);
    const v2 = imagesAtVersion(platform, 'v2');
    const base = { tier: 'free' as const, customDomain: null, resourceOverrides: {}, hibernated: false };
    t.registry.seed('shop-a', {
      running: running('green', 'v2'),
      desired: { ...base, slot: 'green', images: v2, previous: { slot: 'blue', images: platform } },
    });
    const res = await t.call('/api/tenants/shop-a/rollback', { method: 'POST' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; links: { job: string } };
    expect(res.headers.get('location')).toBe(body.links.job);
    expect([...t.queue.jobs.values()].map((j) => j.name)).toEqual(['rollback']);
    expect(t.registry.tenants.get('shop-a')!.desired).toEqual({ ...base, slot: 'blue', images: platform, previous: { slot: 'green', images: v2 } });
    expect(t.registry.tenants.get('shop-a')!.operation).toMatchObject({ type: 'rollback', jobId: body.jobId, state: 'queued' });
    // Asked again while it is pending: the same job.
    const again = await t.call('/api/tenants/shop-a/rollback', { method: 'POST' });
    expect(((await again.json()) as { jobId: string }).jobId).toBe(body.jobId);
    expect(t.queue.jobs.size).toBe(1);
  });

  it('answers 409 without a window (never switched, a switch still pending, hibernated) and 404 for no tenant, queueing nothing', async () => {
    const t = await testApp();
    const platform = stackImagesOf(t.config.platform.images);
    const v2 = imagesAtVersion(platform, 'v2');
    const base = { tier: 'free' as const, customDomain: null, resourceOverrides: {}, hibernated: false };
    t.registry.seed('never', { running: running('blue', 'v1') });
    t.registry.seed('pending', {
      running: running('blue', 'v1'),
      desired: { ...base, slot: 'green', images: v2, previous: { slot: 'blue', images: platform } },
    });
    t.registry.seed('asleep', {
      running: running('green', 'v2'),
      desired: { ...base, hibernated: true, slot: 'green', images: v2, previous: { slot: 'blue', images: platform } },
    });
    for (const id of ['never', 'pending', 'asleep']) {
      const problem = await problemOf(await t.call(`/api/tenants/${id}/rollback`, { method: 'POST' }), 409);
      expect(problem.detail, id).toMatch(/no previous release running to roll back to/);
    }
    await problemOf(await t.call('/api/tenants/nobody-000000/rollback', { method: 'POST' }), 404);
    expect(t.queue.jobs.size).toBe(0);
  });
});
