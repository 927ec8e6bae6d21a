import { describe, expect, it } from 'vitest';
import { RolloutRequest, type Rollout } from '../../../src/domain/rollout.ts';
import { advanceRollout, sameRollout, type TenantObservation } from '../../../src/lifecycle/rollout-progress.ts';
import { planRollout, type RolloutCandidate } from '../../../src/lifecycle/rollout-plan.ts';

const tenant = (tenantId: string, o: Partial<RolloutCandidate> = {}): RolloutCandidate => ({
  tenantId,
  tier: 'professional',
  terminating: false,
  pin: null,
  running: { chart: { name: 'c', version: '0.2.0' }, app: 'v1', images: {}, valuesHash: 'sha256:0', revision: 2, at: '2026-12-01T00:00:00.000Z' },
  operation: null,
  ...o,
});
const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${String(i).padStart(2, '0')}-aaaaaa`);
const request = (body: object) => RolloutRequest.parse({ target: { appVersion: 'v2' }, ...body });

describe('planRollout', () => {
  it('puts the first canary first, then cumulative waves over the rest, the last reaching all', () => {
    const plan = planRollout(
      request({ strategy: { waves: ['10%', '50%'] } }),
      ids(11).map((id) => tenant(id)),
    );
    expect(plan.waves.map((w) => [w.name, w.tenantIds.length, w.canary])).toEqual([
      ['canary', 1, true],
      ['wave-1', 1, false],
      ['wave-2', 4, false],
      ['wave-3', 5, false],
    ]);
    expect(plan.waves.flatMap((w) => w.tenantIds)).toEqual(ids(11));
  });

  it('skips pinned, excluded, leaving and on-target tenants with the reason, and names unknown ones', () => {
    const tenants = [
      tenant('a-pinned', { pin: { version: { chart: '0.2.0', app: 'v1' }, reason: 'r', pinnedBy: 'x', pinnedAt: '2026-12-01T00:00:00.000Z' } }),
      tenant('b-leaving', { terminating: true }),
      tenant('c-done', { running: { ...tenant('x').running!, app: 'v2' } }),
      tenant('cc-closed', { desired: { closed: { at: '2026-12-01T00:00:00.000Z', purgeAfter: '2026-12-31T00:00:00.000Z', hibernated: false } } }),
      tenant('d-excluded'),
      tenant('e-free', { tier: 'free' }),
      tenant('f-go'),
    ];
    const plan = planRollout(request({ selector: { tiers: ['professional'], exclude: ['d-excluded'] }, strategy: { canary: { count: 0 } } }), tenants);
    expect(plan.waves).toEqual([{ name: 'wave-1', tenantIds: ['f-go'], canary: false }]);
    expect(plan.skipped).toEqual([
      { tenantId: 'a-pinned', reason: 'pinned to 0.2.0/v1' },
      { tenantId: 'b-leaving', reason: 'being removed' },
      { tenantId: 'c-done', reason: 'already on the target' },
      { tenantId: 'cc-closed', reason: 'closed (kept until 2026-12-31T00:00:00.000Z)' },
      { tenantId: 'd-excluded', reason: 'excluded' },
    ]);
    const named = planRollout(request({ selector: { tenantIds: ['f-go', 'zz-none'] }, strategy: { canary: { tenantIds: ['f-go'] } } }), tenants);
    expect(named.waves).toEqual([{ name: 'canary', tenantIds: ['f-go'], canary: true }]);
    expect(named.skipped).toEqual([{ tenantId: 'zz-none', reason: 'no such tenant' }]);
    expect(() => planRollout(request({ strategy: { canary: { tenantIds: ['a-pinned'] } } }), tenants)).toThrow(/not in the selection: a-pinned/);
  });

  it('selects by labels (every one must match, value included) alongside tiers and ids; non-matching tenants are neither planned nor listed as skipped', () => {
    const tenants = [
      tenant('a-north', { labels: { team: 'north', 'example.com/cohort': 'early' } }),
      tenant('b-north-free', { tier: 'free', labels: { team: 'north', 'example.com/cohort': 'early' } }),
      tenant('c-north-late', { labels: { team: 'north', 'example.com/cohort': 'late' } }),
      tenant('d-south', { labels: { team: 'south', 'example.com/cohort': 'early' } }),
      tenant('e-unlabelled'),
      tenant('f-north-pinned', {
        labels: { team: 'north', 'example.com/cohort': 'early' },
        pin: { version: { chart: '0.2.0', app: 'v1' }, reason: 'r', pinnedBy: 'x', pinnedAt: '2026-12-01T00:00:00.000Z' },
      }),
      tenant('g-empty-value', { labels: { team: '' } }),
    ];
    const planned = (selector: object) => {
      const plan = planRollout(request({ selector, strategy: { canary: { count: 0 } } }), tenants);
      return { planned: plan.waves.flatMap((w) => w.tenantIds), skipped: plan.skipped.map((s) => s.tenantId) };
    };
    const early = { team: 'north', 'example.com/cohort': 'early' };
    expect(planned({ labels: early })).toEqual({ planned: ['a-north', 'b-north-free'], skipped: ['f-north-pinned'] });
    expect(planned({ labels: { team: 'north' } }).planned).toEqual(['a-north', 'b-north-free', 'c-north-late']);
    expect(planned({ labels: early, tiers: ['professional'] }).planned).toEqual(['a-north']);
    expect(planned({ labels: early, tenantIds: ['b-north-free', 'd-south'] })).toEqual({ planned: ['b-north-free'], skipped: [] });
    expect(planned({ labels: early, exclude: ['a-north'] })).toEqual({ planned: ['b-north-free'], skipped: ['a-north', 'f-north-pinned'] });
    // An empty value is a value: it matches only a label set to the empty string, not a missing one.
    expect(planned({ labels: { team: '' } }).planned).toEqual(['g-empty-value']);
    // No labels in the selector, or an empty set: every tenant, as before labels existed.
    expect(planned({}).planned).toHaveLength(6);
    expect(planned({ labels: {} }).planned).toHaveLength(6);
    expect(planned({ labels: { team: 'west' } })).toEqual({ planned: [], skipped: [] });
  });

  it('refuses a label selector with a reserved or malformed key through the request schema', () => {
    expect(RolloutRequest.safeParse({ target: { appVersion: 'v2' }, selector: { labels: { 'kubernetes.io/os': 'linux' } } }).success).toBe(false);
    expect(RolloutRequest.safeParse({ target: { appVersion: 'v2' }, selector: { labels: { 'team!': 'x' } } }).success).toBe(false);
    // A request without labels parses as it did: nothing is added to a stored rollout's selector.
    expect(RolloutRequest.parse({ target: { appVersion: 'v2' } }).selector).toEqual({ exclude: [] });
  });
});

function rollout(body: object, n: number): Rollout {
  const req = request(body);
  const plan = planRollout(
    req,
    ids(n).map((id) => tenant(id)),
  );
  return {
    id: 'r1',
    createdAt: '2026-12-01T00:00:00.000Z',
    createdBy: 'ops',
    request: req,
    ...plan,
    state: 'running',
    waveIndex: 0,
    bakeUntil: null,
    tenants: {},
    updatedAt: '2026-12-01T00:00:00.000Z',
  };
}

/** Runs ticks against a model where every started update succeeds after `takes` ticks, unless `fails` names it. */
function simulate(r: Rollout, o: { fails?: string[]; unhealthy?: string[]; ticks?: number; takes?: number } = {}) {
  const startedAt = new Map<string, number>();
  let t = 0;
  const log: string[][] = [];
  let current = r;
  for (; t < (o.ticks ?? 200) && current.state === 'running'; t++) {
    const now = new Date(Date.parse('2026-12-01T00:00:00.000Z') + t * 5_000);
    const observe = (id: string): TenantObservation => {
      const started = startedAt.get(id);
      const done = started !== undefined && t - started >= (o.takes ?? 2);
      if (o.fails?.includes(id) && done) return { exists: true, onTarget: false, ours: 'failed', message: 'wait-for-api: not ready' };
      return { exists: true, onTarget: done, ours: started === undefined ? 'absent' : done ? 'completed' : 'active', healthy: !o.unhealthy?.includes(id) };
    };
    const decision = advanceRollout(current, observe, now);
    for (const id of decision.start) if (!startedAt.has(id)) startedAt.set(id, t);
    log.push(decision.start);
    current = decision.rollout;
  }
  const running = (tick: number) =>
    [...startedAt].filter(([id, s]) => s <= tick && (current.tenants[id]?.finishedAt === undefined || tick - s < (o.takes ?? 2))).length;
  return { rollout: current, log, ticks: t, maxRunning: Math.max(...log.map((_, i) => running(i))) };
}

describe('advanceRollout', () => {
  it('updates the canary first, then each wave at most maxParallel at once, baking between waves, and completes', () => {
    const r = rollout({ strategy: { waves: ['50%'], maxParallel: 2, bakeSeconds: 20 } }, 9);
    const { rollout: done, log, maxRunning } = simulate(r);
    expect(done.state).toBe('completed');
    expect(Object.values(done.tenants).every((t) => t.state === 'succeeded')).toBe(true);
    expect(Object.keys(done.tenants).sort()).toEqual(ids(9));
    expect(maxRunning).toBeLessThanOrEqual(2);
    // The canary alone first; nothing else starts until it is done and baked (20 s = 4 ticks).
    const firstOther = log.findIndex((s) => s.some((id) => id !== ids(9)[0]));
    expect(log[0]).toEqual([ids(9)[0]]);
    expect(firstOther).toBeGreaterThanOrEqual(2 + 4);
  });

  it('decides nothing while a tenant updates or a wave bakes, so the tick writes nothing; a finished tenant is a change', () => {
    const r = rollout({ strategy: { canary: { count: 0 }, bakeSeconds: 60 } }, 1);
    const at = (s: number) => new Date(Date.parse('2026-12-01T00:00:00.000Z') + s * 1_000);
    const started = advanceRollout(r, () => ({ exists: true, onTarget: false, ours: 'absent' }), at(0));
    expect(started.start).toEqual(ids(1));
    const updating = advanceRollout(started.rollout, () => ({ exists: true, onTarget: false, ours: 'active' }), at(5));
    expect(updating.start).toEqual([]);
    expect(sameRollout(updating.rollout, started.rollout)).toBe(true);
    const done = advanceRollout(updating.rollout, () => ({ exists: true, onTarget: true, ours: 'completed', healthy: true }), at(10));
    expect(sameRollout(done.rollout, updating.rollout)).toBe(false);
    expect(done.rollout.bakeUntil).not.toBeNull();
    const baking = advanceRollout(done.rollout, () => ({ exists: true, onTarget: true, ours: 'completed', healthy: true }), at(20));
    expect(sameRollout(baking.rollout, done.rollout)).toBe(true);
  });

  it('halts when a canary fails, starting nobody else', () => {
    const r = rollout({ strategy: { maxFailures: 5 } }, 6);
    const { rollout: halted, log } = simulate(r, { fails: [ids(6)[0]!] });
    expect(halted.state).toBe('halted');
    expect(halted.reason).toMatch(/^canary t00-aaaaaa failed: wait-for-api/);
    expect(log.flat()).toEqual([ids(6)[0]]);
  });

  it('halts once failures exceed the budget, and when a tenant is unhealthy during the bake', () => {
    const budget = simulate(rollout({ strategy: { maxFailures: 1, maxParallel: 5, canary: { count: 0 } } }, 6), { fails: [ids(6)[1]!, ids(6)[2]!] });
    expect(budget.rollout).toMatchObject({ state: 'halted', reason: '2 tenants failed, more than the 1 the budget allows' });
    const bake = simulate(rollout({ strategy: { canary: { count: 0 }, bakeSeconds: 60 } }, 3), { unhealthy: [ids(3)[2]!] });
    expect(bake.rollout).toMatchObject({ state: 'halted', reason: 'wave-1: t02-aaaaaa not healthy during the bake' });
  });

  it('fails a tenant past its progress deadline, asks again for an update never recorded, and moves only while running', () => {
    const r = rollout({ strategy: { canary: { count: 0 }, progressDeadlineSeconds: 10, maxFailures: 3 } }, 2);
    const first = advanceRollout(r, () => ({ exists: true, onTarget: false, ours: 'absent' }), new Date('2026-12-01T00:00:00.000Z'));
    expect(first.start).toEqual(ids(2));
    const again = advanceRollout(first.rollout, () => ({ exists: true, onTarget: false, ours: 'absent' }), new Date('2026-12-01T00:00:05.000Z'));
    expect(again.start).toEqual(ids(2));
    const late = advanceRollout(again.rollout, () => ({ exists: true, onTarget: false, ours: 'active' }), new Date('2026-12-01T00:00:11.000Z'));
    expect(Object.values(late.rollout.tenants).map((t) => [t.state, t.message])).toEqual([
      ['failed', 'not on app v2 10 s after its update started'],
      ['failed', 'not on app v2 10 s after its update started'],
    ]);
    const paused = { ...r, state: 'paused' as const };
    expect(advanceRollout(paused, () => ({ exists: true, onTarget: false, ours: 'absent' }), new Date())).toEqual({ rollout: paused, start: [], reask: [] });
    // Recorded but still queued past the lost-intent window: asked for again, with no change to record.
    const stuck = advanceRollout(first.rollout, () => ({ exists: true, onTarget: false, ours: 'queued', lost: true }), new Date('2026-12-01T00:00:05.000Z'));
    expect([stuck.start, stuck.reask, sameRollout(stuck.rollout, first.rollout)]).toEqual([[], ids(2), true]);
  });
});
