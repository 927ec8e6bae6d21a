import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isDomainError, RolloutConflictError, RolloutNotFoundError, ValidationError } from '../domain/errors.ts';
import { isFinished, updateOf, type Rollout, type RolloutRequest, type RolloutState } from '../domain/rollout.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import type { RolloutStore } from '../kubernetes/rollout-store.ts';
import { IntentConflictError, type TenantStore } from '../kubernetes/tenant-store.ts';
import { requestUpdate, type LifecycleDeps } from './intake.ts';
import { rolloutHealthy, type RolloutHealthDeps } from './rollout-health.ts';
import { advanceRollout, sameRollout, type TenantObservation, type TickDecision } from './rollout-progress.ts';
import { eachAtMost } from '../domain/each-at-most.ts';
import { planRollout, runsTarget, type RolloutPlan } from './rollout-plan.ts';
import { chartRefFor, unavailableChartVersion } from '../helm/chart-catalog.ts';

export type RolloutDeps = LifecycleDeps & {
  tenants: Pick<TenantStore, 'read' | 'write' | 'all' | 'findBy' | 'backfillIndex'>;
  rollouts: RolloutStore;
  workloads: RolloutHealthDeps['workloads'];
  logger: Logger;
  newRolloutId?: () => string;
};

/**
 * The plan a rollout would freeze over the tenants as they are now (reads only); its dry run shares
 * it. A chart version the catalog lacks is refused before any tenant is read, as an update naming it is.
 */
export async function planFleetRollout(deps: Pick<RolloutDeps, 'tenants' | 'config'>, request: RolloutRequest): Promise<RolloutPlan> {
  const { chartVersion } = request.target;
  if (chartVersion !== undefined && !chartRefFor(deps.config.platform.chart, chartVersion)) {
    const message = unavailableChartVersion(deps.config.platform.chart, chartVersion);
    throw new ValidationError(`The rollout cannot be made: target.chartVersion ${message}`, [{ path: 'target.chartVersion', message }]);
  }
  const tenants: TenantRecord[] = [];
  for await (const t of deps.tenants.all()) tenants.push(t);
  try {
    return planRollout(request, tenants);
  } catch (error) {
    // A named canary that is pinned, excluded, leaving or already updated: the fleet's state, not the request, is in the way.
    if (error instanceof RangeError) throw new RolloutConflictError(error.message);
    throw error;
  }
}

/** `POST /api/rollouts`: plans over the tenants as they are now and records the rollout; the rollout sweep moves it. */
export async function createRollout(deps: RolloutDeps, request: RolloutRequest, createdBy: string): Promise<Rollout> {
  const plan = await planFleetRollout(deps, request);
  const at = (deps.now?.() ?? new Date()).toISOString();
  const empty = plan.waves.length === 0;
  const rollout: Rollout = {
    id: (deps.newRolloutId ?? (() => randomBytes(5).toString('hex')))(),
    createdAt: at,
    createdBy,
    request,
    ...plan,
    state: empty ? 'completed' : 'running',
    ...(empty ? { reason: 'no tenant to update' } : {}),
    waveIndex: 0,
    bakeUntil: null,
    tenants: Object.fromEntries(plan.waves.flatMap((w) => w.tenantIds).map((id) => [id, { state: 'waiting' as const }])),
    updatedAt: at,
  };
  await deps.rollouts.create(rollout);
  return rollout;
}

const MOVES: Record<'pause' | 'resume' | 'abort', { from: RolloutState[]; to: RolloutState }> = {
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  abort: { from: ['running', 'paused'], to: 'aborted' },
};

/**
 * Pause, resume or abort. Pausing and aborting start nobody new; updates already started finish
 * on their own (a blue-green switch either completes or is given up), so no tenant is left half-switched.
 */
export async function changeRolloutState(deps: Pick<RolloutDeps, 'rollouts' | 'now'>, id: string, action: keyof typeof MOVES, by: string): Promise<Rollout> {
  for (let round = 0; round < 5; round++) {
    const found = await deps.rollouts.read(id);
    if (!found) throw new RolloutNotFoundError(id);
    const { rollout } = found;
    const move = MOVES[action];
    if (rollout.state === move.to) return rollout;
    if (!move.from.includes(rollout.state)) throw new RolloutConflictError(`Rollout ${id} is ${rollout.state}: it cannot ${action}`);
    const next: Rollout = {
      ...rollout,
      state: move.to,
      ...(action === 'abort' ? { reason: `aborted by ${by}` } : {}),
      updatedAt: (deps.now?.() ?? new Date()).toISOString(),
    };
    try {
      await deps.rollouts.write(next, found.resourceVersion, found.rollout.state);
      return next;
    } catch (error) {
      if (!(error instanceof IntentConflictError)) throw error;
    }
  }
  throw new RolloutConflictError(`Rollout ${id} changed concurrently; try again`, { retryAfterSeconds: 1 });
}

/** Tenants a tick reads at once: a bake over a wave of hundreds takes a few round trips, not hundreds. */
const OBSERVE_AT_ONCE = 8;

/** Each tenant's marker and version as the rollout's update left them, and, with `health`, whether it is healthy. */
async function observe(deps: RolloutDeps, rollout: Rollout, tenantIds: readonly string[], health: boolean, now: Date): Promise<Map<string, TenantObservation>> {
  const seen = new Map<string, TenantObservation>();
  const lostAfterMs = deps.config.provisioning.reconcile.lostIntentAfterSeconds * 1000;
  await eachAtMost(tenantIds, OBSERVE_AT_ONCE, async (id) => {
    const progress = rollout.tenants[id];
    const t = (await deps.tenants.read(id))?.tenant;
    if (!t || t.terminating) {
      seen.set(id, { exists: false, onTarget: false, ours: 'absent' });
      return;
    }
    const marker = t.operation;
    const ours =
      marker && progress?.jobId === marker.jobId
        ? marker.state
        : marker && progress?.startedAt && Date.parse(marker.at) >= Date.parse(progress.startedAt)
          ? 'replaced'
          : 'absent';
    seen.set(id, {
      exists: true,
      onTarget: runsTarget(t, rollout.request.target),
      ours,
      lost: ours === 'queued' && now.getTime() - Date.parse(marker!.at) >= lostAfterMs,
      message: marker?.message ? `${marker.step ?? 'update'}: ${marker.message}` : undefined,
      healthy: health ? await rolloutHealthy(deps, t) : undefined,
    });
  });
  return seen;
}

/**
 * Decides one tick over only what the decision reads: the tenants being updated, then, when the
 * wave has nobody left to wait for (its bake), the health of those that succeeded, deciding again
 * with it. Reading the whole wave on every tick (a tenant read, and three more for each that had
 * succeeded, one after another) made a tick over a 200-tenant wave take seconds while ten updated.
 */
async function decide(deps: RolloutDeps, rollout: Rollout, now: Date): Promise<TickDecision> {
  const wave = rollout.waves[rollout.waveIndex];
  const ids = wave?.tenantIds ?? [];
  const seen = await observe(
    deps,
    rollout,
    ids.filter((id) => rollout.tenants[id]?.state === 'updating'),
    false,
    now,
  );
  const lookup = (tenantId: string) => seen.get(tenantId) ?? { exists: false, onTarget: false, ours: 'absent' as const };
  const first = advanceRollout(rollout, lookup, now);
  const settled = ids.length > 0 && ids.every((id) => ['succeeded', 'failed'].includes(first.rollout.tenants[id]?.state ?? 'waiting'));
  if (!settled || first.rollout.state === 'halted') return first;
  const succeeded = ids.filter((id) => first.rollout.tenants[id]?.state === 'succeeded');
  for (const [id, o] of await observe(deps, rollout, succeeded, true, now)) seen.set(id, o);
  return advanceRollout(rollout, lookup, now);
}

/**
 * One tick of one rollout: observe its current wave, decide (advanceRollout), record the decision
 * conditionally, and only then ask for the updates it started, each under a fixed job id, so two
 * ticks at once (two replicas) start nobody twice and never exceed maxParallel: the loser's write
 * fails. An update the intake refuses fails that tenant at once.
 */
export async function tickRollout(deps: RolloutDeps, id: string): Promise<Rollout | undefined> {
  const found = await deps.rollouts.read(id);
  if (!found || found.rollout.state !== 'running') return found?.rollout;
  const { rollout } = found;
  const now = deps.now?.() ?? new Date();
  const decision = await decide(deps, rollout, now);
  // Nothing decided (updating, baking): no write, so the record, its resourceVersion and the SSE
  // followers change only when the rollout does, not once per tick. Asking again for a recorded
  // update needs no write: its job id is fixed, so two ticks doing it queue one job.
  if (decision.start.length === 0 && sameRollout(decision.rollout, rollout)) {
    await reaskUpdates(deps, rollout, decision.reask);
    return rollout;
  }
  let resourceVersion: string;
  try {
    resourceVersion = await deps.rollouts.write(decision.rollout, found.resourceVersion, rollout.state);
  } catch (error) {
    if (error instanceof IntentConflictError) return undefined;
    throw error;
  }
  await reaskUpdates(deps, rollout, decision.reask);
  const refused: Array<[string, string]> = [];
  // At once: each request renders the chart in its preflight, and a wave's tenants wait for the slowest, not the sum.
  await Promise.all(
    decision.start.map(async (tenantId) => {
      await askForUpdate(deps, decision.rollout, tenantId).catch((error: unknown) => {
        // A refusal (404, 409, 422) is that tenant's failure; anything else is retried by the next tick.
        if (isDomainError(error) && error.kind !== 'dependency_unavailable' && !(error instanceof IntentConflictError)) refused.push([tenantId, error.message]);
        else deps.logger.warn({ err: error, rolloutId: id, tenantId }, 'rollout: update not requested; the next tick asks again');
      });
    }),
  );
  if (refused.length === 0) return decision.rollout;
  const at = now.toISOString();
  const next: Rollout = structuredClone(decision.rollout);
  for (const [tenantId, message] of refused)
    next.tenants[tenantId] = { ...next.tenants[tenantId]!, state: 'failed', finishedAt: at, message: message.slice(0, 500) };
  await deps.rollouts.write(next, resourceVersion, decision.rollout.state).catch((error: unknown) => {
    if (!(error instanceof IntentConflictError)) throw error;
  });
  return next;
}

/** A rollout's update of one tenant, under the job id its record names (so asking twice queues one job). */
const askForUpdate = (deps: RolloutDeps, rollout: Rollout, tenantId: string) =>
  requestUpdate(deps, tenantId, updateOf(rollout.request.target), { jobId: rollout.tenants[tenantId]!.jobId!, reason: 'rollout', render: false });

/**
 * Asks again for updates the rollout recorded whose marker stayed `queued` past the lost-intent
 * window: the intake finds its own marker and queues the job again under its id (a no-op when the
 * job is there). A failure here is the next tick's to retry; the progress deadline still bounds it.
 */
async function reaskUpdates(deps: RolloutDeps, rollout: Rollout, tenantIds: readonly string[]) {
  await Promise.all(
    tenantIds.map(async (tenantId) => {
      await askForUpdate(deps, rollout, tenantId).then(
        (accepted) =>
          deps.logger.debug(
            { rolloutId: rollout.id, tenantId, jobId: accepted.jobId },
            'rollout: update still queued after the lost-intent window; asked again',
          ),
        (error: unknown) => deps.logger.warn({ err: error, rolloutId: rollout.id, tenantId }, 'rollout: update not asked again; the next tick tries'),
      );
    }),
  );
}

/** The rollout sweep: one tick of every running rollout; one rollout's trouble does not stop the others. */
export async function tickRollouts(deps: RolloutDeps): Promise<{ ticked: number; running: number }> {
  const active = (await deps.rollouts.list()).filter((r) => !isFinished(r.state) && r.state !== 'paused');
  let ticked = 0;
  for (const summary of active) {
    try {
      await tickRollout(deps, summary.id);
      ticked += 1;
    } catch (error) {
      deps.logger.warn({ err: error, rolloutId: summary.id }, 'rollout tick failed; the next sweep tries again');
    }
  }
  return { ticked, running: active.length };
}
