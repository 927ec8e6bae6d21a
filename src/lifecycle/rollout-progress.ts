import { isDeepStrictEqual } from 'node:util';
import { countOf, describeTarget, type Rollout, type RolloutTenant } from '../domain/rollout.ts';
import type { OperationMarker } from '../domain/tenant-record.ts';

/**
 * One tenant of the current wave as a tick sees it. `ours`: the state of the rollout's update job
 * on the tenant's marker; `replaced` when a newer request's marker is there, `absent` when the
 * rollout's request was never recorded (the tick that decided it died before asking).
 * `lost`: our marker is still `queued` after the lost-intent window, so its job may never have
 * been queued (the tick that asked died between recording the intent and queueing the job).
 * `healthy` is read only for tenants that finished their update (the bake checks them).
 */
export type TenantObservation = {
  exists: boolean;
  onTarget: boolean;
  ours: OperationMarker['state'] | 'replaced' | 'absent';
  lost?: boolean | undefined;
  message?: string | undefined;
  healthy?: boolean | undefined;
};

/**
 * What a tick decided: the rollout as it should be recorded, the tenants whose update to ask for
 * now, and those whose update, already recorded, to ask for again under the same job id (queued
 * again if it was lost, a no-op if it is there): that needs no new record.
 */
export type TickDecision = { rollout: Rollout; start: string[]; reask: string[] };

export const rolloutJobId = (rolloutId: string, tenantId: string) => `rollout-${rolloutId}-${tenantId}`;
/** Whether a job is a rollout's update of one tenant (its id from rolloutJobId). */
export const isRolloutJobId = (jobId: string) => jobId.startsWith('rollout-');

/**
 * One step of a rollout, pure: settle the current wave's updating tenants (succeeded once on the
 * target, failed when their job failed, the tenant went, or the progress deadline passed), halt
 * when a canary failed or the failure budget is spent, bake a finished wave (every tenant that
 * succeeded must stay healthy until bakeUntil, else halt), then move to the next wave or start
 * waiting tenants up to maxParallel. Only a running rollout moves.
 */
export function advanceRollout(rollout: Rollout, observe: (tenantId: string) => TenantObservation, now: Date): TickDecision {
  if (rollout.state !== 'running') return { rollout, start: [], reask: [] };
  const next: Rollout = structuredClone(rollout);
  const at = now.toISOString();
  const { strategy, target } = next.request;
  const start: string[] = [];
  const reask: string[] = [];
  const finish = (id: string, state: 'succeeded' | 'failed', message?: string) => {
    next.tenants[id] = { ...next.tenants[id]!, state, finishedAt: at, ...(message ? { message: message.slice(0, 500) } : {}) };
  };
  const halt = (reason: string) => Object.assign(next, { state: 'halted' as const, reason, bakeUntil: null });
  const wave = next.waves[next.waveIndex];
  if (!wave) return { rollout: Object.assign(next, { state: 'completed' as const, reason: 'every wave passed', updatedAt: at }), start, reask };

  for (const id of wave.tenantIds) {
    const t: RolloutTenant = next.tenants[id] ?? { state: 'waiting' };
    next.tenants[id] = t;
    if (t.state !== 'updating') continue;
    const o = observe(id);
    const overdue = now.getTime() - Date.parse(t.startedAt ?? at) > strategy.progressDeadlineSeconds * 1000;
    if (!o.exists) finish(id, 'failed', 'the tenant was removed');
    else if (o.ours === 'failed') finish(id, 'failed', o.message ?? 'its update failed');
    else if (o.onTarget && o.ours !== 'queued' && o.ours !== 'active') finish(id, 'succeeded');
    else if (overdue) finish(id, 'failed', `not on ${describeTarget(target)} ${strategy.progressDeadlineSeconds} s after its update started`);
    else if (o.ours === 'absent') start.push(id);
    else if (o.ours === 'queued' && o.lost) reask.push(id);
  }

  const failed = Object.entries(next.tenants).filter(([, t]) => t.state === 'failed');
  const canary = new Set(next.waves.filter((w) => w.canary).flatMap((w) => w.tenantIds));
  const failedCanary = failed.find(([id]) => canary.has(id));
  const selected = next.waves.reduce((n, w) => n + w.tenantIds.length, 0);
  const budget = countOf(strategy.maxFailures, selected);
  if (failedCanary) halt(`canary ${failedCanary[0]} failed: ${failedCanary[1].message ?? 'its update failed'}`);
  else if (failed.length > budget) halt(`${failed.length} tenants failed, more than the ${budget} the budget allows`);
  if (next.state !== 'running') return { rollout: { ...next, updatedAt: at }, start: [], reask: [] };

  const states = wave.tenantIds.map((id) => next.tenants[id]!.state);
  if (states.every((s) => s === 'succeeded' || s === 'failed')) {
    next.bakeUntil ??= new Date(now.getTime() + strategy.bakeSeconds * 1000).toISOString();
    const unhealthy = wave.tenantIds.filter((id) => next.tenants[id]!.state === 'succeeded' && observe(id).healthy === false);
    if (unhealthy.length > 0) halt(`${wave.name}: ${unhealthy.join(', ')} not healthy during the bake`);
    else if (now.getTime() >= Date.parse(next.bakeUntil)) {
      next.waveIndex += 1;
      next.bakeUntil = null;
      if (next.waveIndex >= next.waves.length) Object.assign(next, { state: 'completed' as const, reason: 'every wave passed' });
    }
    return { rollout: { ...next, updatedAt: at }, start: [], reask };
  }
  let updating = states.filter((s) => s === 'updating').length;
  for (const id of wave.tenantIds) {
    if (updating >= strategy.maxParallel) break;
    if (next.tenants[id]!.state !== 'waiting') continue;
    next.tenants[id] = { state: 'updating', jobId: rolloutJobId(next.id, id), startedAt: at };
    start.push(id);
    updating += 1;
  }
  return { rollout: { ...next, updatedAt: at }, start, reask };
}

/** Equal but for `updatedAt`, which every decision stamps: a tick that decided nothing. */
export const sameRollout = (a: Rollout, b: Rollout) => isDeepStrictEqual({ ...a, updatedAt: '' }, { ...b, updatedAt: '' });
