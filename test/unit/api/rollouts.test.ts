import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/domain/rollout.ts';
import { problemOf, testApp } from './support/harness.ts';
import { runningVersion } from './support/running-version.ts';

const running = (app: string) => runningVersion(app);

async function fleet() {
  const t = await testApp();
  for (const id of ['shop-a', 'shop-b', 'shop-c', 'shop-d']) t.registry.seed(id, { running: running('v1') });
  t.registry.seed('shop-e', { running: running('v2') });
  t.registry.seed('shop-f', {
    running: running('v1'),
    pin: { version: { chart: '0.2.0', app: 'v1' }, reason: 'audit', pinnedBy: 'x', pinnedAt: '2026-03-01T00:00:00.000Z' },
  });
  return t;
}

describe('/api/rollouts', () => {
  it('plans on POST (202): canary first, waves after, skipped tenants with the reason; nothing is queued until the sweep moves it', async () => {
    const t = await fleet();
    const res = await t.call('/api/rollouts', { body: { target: { appVersion: 'v2' }, strategy: { waves: ['50%'], maxParallel: 2 } } });
    expect(res.status).toBe(202);
    const rollout = (await res.json()) as Rollout;
    expect(res.headers.get('location')).toBe(`/api/rollouts/${rollout.id}`);
    expect(rollout).toMatchObject({
      state: 'running',
      createdBy: 'ops@example.com',
      waveIndex: 0,
      waves: [
        { name: 'canary', tenantIds: ['shop-a'], canary: true },
        { name: 'wave-1', tenantIds: ['shop-b', 'shop-c'], canary: false },
        { name: 'wave-2', tenantIds: ['shop-d'], canary: false },
      ],
      skipped: [
        { tenantId: 'shop-e', reason: 'already on the target' },
        { tenantId: 'shop-f', reason: 'pinned to 0.2.0/v1' },
      ],
    });
    expect(Object.values(rollout.tenants).map((s) => s.state)).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
    expect(t.queue.jobs.size).toBe(0);
    expect(await (await t.call(`/api/rollouts/${rollout.id}`)).json()).toEqual(rollout);
    expect(await (await t.call('/api/rollouts')).json()).toEqual({
      items: [{ id: rollout.id, state: 'running', createdAt: rollout.createdAt, appVersion: 'v2' }],
    });
  });

  it('pauses, resumes and aborts along the documented moves, 409 otherwise, 404 for no rollout, 409 for a canary outside the selection', async () => {
    const t = await fleet();
    const { id } = (await (await t.call('/api/rollouts', { body: { target: { appVersion: 'v2' } } })).json()) as Rollout;
    const post = (action: string) => t.call(`/api/rollouts/${id}/${action}`, { method: 'POST' });
    // Asking for the state it is in changes nothing.
    expect(((await (await post('resume')).json()) as Rollout).state).toBe('running');
    expect(((await (await post('pause')).json()) as Rollout).state).toBe('paused');
    expect(((await (await post('pause')).json()) as Rollout).state).toBe('paused');
    expect(((await (await post('resume')).json()) as Rollout).state).toBe('running');
    const aborted = (await (await post('abort')).json()) as Rollout;
    expect(aborted).toMatchObject({ state: 'aborted', reason: 'aborted by ops@example.com' });
    await problemOf(await post('pause'), 409);
    await problemOf(await post('resume'), 409);
    await problemOf(await t.call('/api/rollouts/0123456789/pause', { method: 'POST' }), 404);
    await problemOf(await t.call('/api/rollouts/0123456789'), 404);
    await problemOf(await t.call('/api/rollouts/not-an-id'), 422);
    const outside = await problemOf(
      await t.call('/api/rollouts', { body: { target: { appVersion: 'v2' }, strategy: { canary: { tenantIds: ['shop-f'] } } } }),
      409,
    );
    expect(outside.detail).toBe('canary tenants not in the selection: shop-f');
    await problemOf(await t.call('/api/rollouts', { body: { target: { appVersion: 'latest' } } }), 422);
    expect(
      ((await (await t.call('/api/rollouts', { body: { target: { appVersion: 'v1' }, selector: { tenantIds: ['shop-f'] } } })).json()) as Rollout).state,
    ).toBe('completed');
  });
});
