import { describe, expect, it } from 'vitest';
import { RolloutProgress, rolloutProgress } from '../../../src/api/rollouts/rollout-progress.schema.ts';
import { RolloutRequest, type Rollout } from '../../../src/domain/rollout.ts';
import { problemOf, testApp, type TestApp } from './support/harness.ts';
import { runningVersion } from './support/running-version.ts';
import { followSse as follow } from './support/sse-follow.ts';
import type { SseMessage } from './support/sse.ts';

const AT = '2026-12-01T09:00:00.000Z';
const record = (o: Partial<Rollout> = {}): Rollout => ({
  id: '9f2c4e1a7b',
  createdAt: AT,
  createdBy: 'ops',
  request: RolloutRequest.parse({ target: { appVersion: 'v2' } }),
  waves: [
    { name: 'canary', tenantIds: ['a'], canary: true },
    { name: 'wave-1', tenantIds: ['b', 'c', 'd'], canary: false },
    { name: 'wave-2', tenantIds: ['e', 'f'], canary: false },
  ],
  skipped: [{ tenantId: 'g', reason: 'excluded' }],
  state: 'running',
  waveIndex: 1,
  bakeUntil: null,
  tenants: {
    a: { state: 'succeeded' },
    b: { state: 'succeeded' },
    c: { state: 'updating' },
    d: { state: 'failed', message: 'wait-for-api: not ready' },
    e: { state: 'waiting' },
  },
  updatedAt: AT,
  ...o,
});

describe('rolloutProgress', () => {
  it('counts each wave and the whole rollout by tenant state, names the current wave, and parses as its schema', () => {
    const progress = rolloutProgress(record());
    expect(progress).toEqual({
      rolloutId: '9f2c4e1a7b',
      target: 'app v2',
      appVersion: 'v2',
      chartVersion: null,
      state: 'running',
      reason: null,
      currentWave: { index: 1, name: 'wave-1' },
      bakeUntil: null,
      waves: [
        { name: 'canary', canary: true, total: 1, succeeded: 1, failed: 0, updating: 0, waiting: 0 },
        { name: 'wave-1', canary: false, total: 3, succeeded: 1, failed: 1, updating: 1, waiting: 0 },
        // f has no entry yet: it counts as waiting.
        { name: 'wave-2', canary: false, total: 2, succeeded: 0, failed: 0, updating: 0, waiting: 2 },
      ],
      totals: { total: 6, succeeded: 2, failed: 1, updating: 1, waiting: 2 },
      skipped: 1,
      updatedAt: AT,
    });
    expect(RolloutProgress.parse(progress)).toEqual(progress);
  });

  it('has no current wave once every wave passed, and carries the reason and the bake', () => {
    const done = rolloutProgress(record({ state: 'completed', reason: 'every wave passed', waveIndex: 3 }));
    expect(done).toMatchObject({ state: 'completed', reason: 'every wave passed', currentWave: null });
    const baking = rolloutProgress(record({ waveIndex: 0, bakeUntil: '2026-12-01T09:05:00.000Z' }));
    expect(baking).toMatchObject({ currentWave: { index: 0, name: 'canary' }, bakeUntil: '2026-12-01T09:05:00.000Z' });
  });
});

const events = (m: SseMessage[]) => m.filter((x) => x.event !== undefined);

async function withRollout(): Promise<{ t: TestApp; id: string; change: (o: Partial<Rollout>) => Promise<string> }> {
  // Read every 50 ms, heartbeats every second.
  const t = await testApp({
    config: (c) => {
      c.provisioning.rollouts.tickSeconds = 0.05;
      c.sse.heartbeatSeconds = 1;
    },
  });
  for (const id of ['shop-a', 'shop-b', 'shop-c']) t.registry.seed(id, { running: runningVersion('v1') });
  const res = await t.call('/api/rollouts', { body: { target: { appVersion: 'v2' }, strategy: { waves: ['100%'] } } });
  const { id } = (await res.json()) as Rollout;
  const change = async (o: Partial<Rollout>) => {
    const found = t.rollouts.records.get(id)!;
    return t.rollouts.write({ ...found.rollout, ...o }, found.resourceVersion);
  };
  return { t, id, change };
}

describe('GET /api/rollouts/{rolloutId}/events', () => {
  it('sends the snapshot at once, a new one whenever the record changes, and a final event before it closes', async () => {
    const { t, id, change } = await withRollout();
    const res = await t.call(`/api/rollouts/${id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const stream = follow(res.body!);
    const [first] = events(await stream.until((m) => events(m).length === 1));
    expect(first).toMatchObject({ event: 'progress', id: t.rollouts.records.get(id)!.resourceVersion });
    expect(JSON.parse(first!.data!)).toEqual(rolloutProgress(t.rollouts.records.get(id)!.rollout));

    const v2 = await change({ tenants: { 'shop-a': { state: 'updating' } } });
    const second = events(await stream.until((m) => events(m).length === 2))[1]!;
    expect(second).toMatchObject({ event: 'progress', id: v2 });
    expect(JSON.parse(second.data!).totals).toMatchObject({ updating: 1, waiting: 2 });
    // Nothing changed: no event, however many reads.
    await new Promise((r) => setTimeout(r, 200));
    expect(events(stream.messages())).toHaveLength(2);

    const v3 = await change({ state: 'completed', reason: 'every wave passed', waveIndex: 2 });
    await stream.until(() => stream.closed);
    const last = events(stream.messages()).at(-1)!;
    expect(last).toMatchObject({ event: 'finished', id: v3 });
    expect(JSON.parse(last.data!)).toMatchObject({ state: 'completed', reason: 'every wave passed', currentWave: null });
  });

  it('resumes with Last-Event-ID: nothing while unchanged, the current snapshot if it changed; 204 after the final event', async () => {
    const { t, id, change } = await withRollout();
    const current = t.rollouts.records.get(id)!.resourceVersion;
    const unchanged = follow((await t.call(`/api/rollouts/${id}/events`, { headers: { 'Last-Event-ID': current } })).body!);
    // Heartbeats (after about a second), but no event: the client has this snapshot.
    const quiet = await unchanged.until((m) => m.some((x) => x.comment === 'heartbeat'));
    expect(events(quiet)).toEqual([]);
    const next = await change({ state: 'paused' });
    expect(events(await unchanged.until((m) => events(m).length === 1))[0]).toMatchObject({ event: 'progress', id: next });
    await unchanged.cancel();

    const stale = follow((await t.call(`/api/rollouts/${id}/events?lastEventId=${current}`)).body!);
    expect(events(await stale.until((m) => events(m).length === 1))[0]).toMatchObject({ id: next });
    expect(JSON.parse(events(stale.messages())[0]!.data!).state).toBe('paused');
    await stale.cancel();

    const final = await change({ state: 'aborted', reason: 'aborted by ops' });
    const replay = follow((await t.call(`/api/rollouts/${id}/events`, { headers: { 'Last-Event-ID': next } })).body!);
    await replay.until(() => replay.closed);
    expect(events(replay.messages()).map((m) => [m.event, m.id])).toEqual([['finished', final]]);
    expect((await t.call(`/api/rollouts/${id}/events`, { headers: { 'Last-Event-ID': final } })).status).toBe(204);
  });

  it('answers 404 as a problem for no rollout and 422 for a malformed id', async () => {
    const { t } = await withRollout();
    expect((await problemOf(await t.call('/api/rollouts/0123456789/events'), 404)).detail).toBe('No rollout 0123456789');
    await problemOf(await t.call('/api/rollouts/nope/events'), 422);
    await problemOf(await t.call('/api/rollouts/0123456789/events', { token: null }), 401);
  });
});
