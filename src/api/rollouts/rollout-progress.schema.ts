import { z } from '@hono/zod-openapi';
import { describeTarget, RolloutState, type Rollout, type RolloutTenantState } from '../../domain/rollout.ts';

/** Tenants of a wave (or of the whole rollout) by their state in it. */
export const RolloutCounts = z
  .object({ total: z.int(), succeeded: z.int(), failed: z.int(), updating: z.int(), waiting: z.int() })
  .openapi('RolloutCounts', { example: { total: 6, succeeded: 3, failed: 0, updating: 2, waiting: 1 } });
export type RolloutCounts = z.infer<typeof RolloutCounts>;

export const RolloutWaveProgress = RolloutCounts.extend({ name: z.string(), canary: z.boolean() }).openapi('RolloutWaveProgress');

/** One event of `GET /api/rollouts/{rolloutId}/events`: the whole rollout's progress at one resourceVersion of its record. */
export const RolloutProgress = z
  .object({
    rolloutId: z.string(),
    target: z.string().openapi({ description: 'What the rollout ships, as read: app 2026.12.1, chart 0.3.0, or both', example: 'app 2026.12.1' }),
    appVersion: z.string().nullable(),
    chartVersion: z.string().nullable(),
    state: RolloutState,
    reason: z.string().nullable().openapi({ description: 'Why it halted, was aborted or completed' }),
    currentWave: z
      .object({ index: z.int().min(0), name: z.string() })
      .nullable()
      .openapi({ description: 'The wave being updated or baked; null once every wave has passed' }),
    bakeUntil: z.iso.datetime().nullable().openapi({ description: 'Set while the current wave bakes: the next starts after it, if its tenants stay healthy' }),
    waves: z.array(RolloutWaveProgress),
    totals: RolloutCounts,
    skipped: z.int().openapi({ description: 'Tenants of the selection left out when it was planned (pinned, excluded, leaving, already on the target)' }),
    updatedAt: z.iso.datetime(),
  })
  .openapi('RolloutProgress');
export type RolloutProgress = z.infer<typeof RolloutProgress>;

const count = (states: RolloutTenantState[]): RolloutCounts => {
  const counts: RolloutCounts = { total: states.length, succeeded: 0, failed: 0, updating: 0, waiting: 0 };
  for (const state of states) counts[state] += 1;
  return counts;
};

/** The progress of a rollout as recorded; a tenant with no entry yet counts as waiting. */
export function rolloutProgress(rollout: Rollout): RolloutProgress {
  const stateOf = (id: string) => rollout.tenants[id]?.state ?? 'waiting';
  const current = rollout.waves[rollout.waveIndex];
  return {
    rolloutId: rollout.id,
    target: describeTarget(rollout.request.target),
    appVersion: rollout.request.target.appVersion ?? null,
    chartVersion: rollout.request.target.chartVersion ?? null,
    state: rollout.state,
    reason: rollout.reason ?? null,
    currentWave: current ? { index: rollout.waveIndex, name: current.name } : null,
    bakeUntil: rollout.bakeUntil,
    waves: rollout.waves.map((w) => ({ name: w.name, canary: w.canary, ...count(w.tenantIds.map(stateOf)) })),
    totals: count(rollout.waves.flatMap((w) => w.tenantIds.map(stateOf))),
    skipped: rollout.skipped.length,
    updatedAt: rollout.updatedAt,
  };
}
