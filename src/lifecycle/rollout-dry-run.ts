import { eachAtMost } from '../domain/each-at-most.ts';
import { updateOf, type RolloutRequest } from '../domain/rollout.ts';
import { dryRunUpdate, type DryRunDeps, type UpdateDryRun } from './dry-run.ts';
import { PREFLIGHT_RENDER_MS } from './preflight.ts';
import type { RolloutPlan } from './rollout-plan.ts';
import { planFleetRollout, type RolloutDeps } from './rollouts.ts';

/**
 * How much work one dry run of a rollout may do. Each rendered tenant costs three Helm children
 * (the preflight's render, the dry run's render and `helm get manifest`), so a few at a time on a
 * small API pod, a bounded number of them, and the whole answer inside the API's deadline for a
 * fleet-wide request (3 × 10 s), planning included. On the sandbox (2 cores) a tenant takes about
 * 5 s of wall time two at a time, so ten fit the deadline: the canaries and the first wave, which
 * is what an operator reads before starting.
 */
export const ROLLOUT_DRY_RUN_LIMITS = { maxTenants: 10, concurrency: 2, deadlineMs: 25_000 } as const;
export type RolloutDryRunLimits = { maxTenants: number; concurrency: number; deadlineMs: number };

export type RolloutDryRunDeps = Pick<RolloutDeps, 'tenants'> &
  DryRunDeps & {
    /** Tests shrink them; the API uses ROLLOUT_DRY_RUN_LIMITS. */
    dryRunLimits?: Partial<RolloutDryRunLimits> | undefined;
  };

type Placed = { tenantId: string; wave: string };
/**
 * One planned tenant: its update's diff, or why there is none. `failed` keeps the error as thrown
 * (a domain refusal, Helm, the cluster) for the API to answer as a problem through its one table.
 */
export type TenantDryRun =
  | (Placed & { outcome: 'rendered' } & Pick<UpdateDryRun, 'switch' | 'changes'>)
  | (Placed & { outcome: 'failed'; error: unknown })
  | (Placed & { outcome: 'not-rendered'; reason: string });

export type RolloutDryRunResult = RolloutPlan & { request: RolloutRequest; limits: RolloutDryRunLimits; tenants: TenantDryRun[] };

/**
 * `POST /api/rollouts?dryRun=true`: the plan the rollout would freeze (the same reads and refusals
 * as creating it) and, for the first `maxTenants` planned tenants in wave order, the diff of an
 * update to the target version against each live release (`dryRunUpdate`). Records nothing and
 * queues nothing. A tenant whose render fails is reported with its error; the others still render.
 * Helm children still running at the deadline are killed (their render deadline ends with it).
 */
export async function dryRunRollout(deps: RolloutDryRunDeps, request: RolloutRequest): Promise<RolloutDryRunResult> {
  const limits = { ...ROLLOUT_DRY_RUN_LIMITS, ...deps.dryRunLimits };
  const end = Date.now() + limits.deadlineMs;
  const plan = await planFleetRollout(deps, request);
  const placed: Placed[] = plan.waves.flatMap((w) => w.tenantIds.map((tenantId) => ({ tenantId, wave: w.name })));
  const outcomes = new Map<string, TenantDryRun>();
  const late = `not rendered within the dry run's deadline of ${limits.deadlineMs / 1000} s`;
  const change = updateOf(request.target);
  async function render(p: Placed): Promise<void> {
    const remaining = end - Date.now();
    if (remaining <= 0) {
      outcomes.set(p.tenantId, { ...p, outcome: 'not-rendered', reason: late });
      return;
    }
    const renderDeadlineMs = Math.min(deps.renderDeadlineMs ?? PREFLIGHT_RENDER_MS, remaining);
    try {
      const diff = await dryRunUpdate({ ...deps, renderDeadlineMs }, p.tenantId, change);
      outcomes.set(p.tenantId, { ...p, outcome: 'rendered', switch: diff.switch, changes: diff.changes });
    } catch (error) {
      // Killed by the deadline rather than refused: say so instead of blaming the tenant.
      outcomes.set(p.tenantId, Date.now() >= end ? { ...p, outcome: 'not-rendered', reason: late } : { ...p, outcome: 'failed', error });
    }
  }
  const rendered = placed.slice(0, limits.maxTenants);
  await eachAtMost(rendered, limits.concurrency, render);
  const beyond = `beyond the first ${limits.maxTenants} planned tenants a dry run renders`;
  const tenants = placed.map((p) => outcomes.get(p.tenantId) ?? { ...p, outcome: 'not-rendered' as const, reason: beyond });
  return { request, ...plan, limits, tenants };
}
