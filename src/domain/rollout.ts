import { z } from '@hono/zod-openapi';
import { ImageRef } from './image.ts';
import { TenantId } from './tenant-id.ts';
import { LABEL_RULES, TenantLabels } from './tenant-labels.ts';
import { ChartVersion } from './tenant-version.ts';
import { TierName } from './tiers.ts';

/** A number of tenants, or a percentage of a set (`"25%"`, rounded up, at least one when the set is not empty). */
export const TenantCount = z
  .union([z.int().min(0).max(100_000), z.string().regex(/^(100|[1-9]?[0-9])%$/, 'must be a percentage such as 25%')])
  .openapi({ example: '25%' });
export type TenantCount = z.infer<typeof TenantCount>;

const TARGET_FIELDS = {
  appVersion: ImageRef.shape.tag
    .optional()
    .openapi({ example: '2026.12.1', description: 'The tag of the configured API, Web and migrations images: a blue-green switch per tenant' }),
  chartVersion: ChartVersion.optional().openapi({
    example: '0.3.0',
    description:
      'The tenant chart version (the configured chart, a packaged archive of it, or a registry version): with an appVersion it travels with the new release, alone it upgrades in place',
  }),
};

/** What a rollout ships: an app version, a tenant-chart version, or both. */
export const RolloutTarget = z
  .strictObject(TARGET_FIELDS)
  .refine((t) => t.appVersion !== undefined || t.chartVersion !== undefined, 'must name an appVersion, a chartVersion or both')
  .openapi('RolloutTarget', { minProperties: 1 });
export type RolloutTarget = z.infer<typeof RolloutTarget>;

/** The versions a target names, without the ones it leaves out: the update a rollout asks of each tenant. */
export function updateOf(target: RolloutTarget): { appVersion?: string; chartVersion?: string } {
  return {
    ...(target.appVersion === undefined ? {} : { appVersion: target.appVersion }),
    ...(target.chartVersion === undefined ? {} : { chartVersion: target.chartVersion }),
  };
}

/** How a target reads in messages and lists: `app 2026.12.1`, `chart 0.3.0` or both. */
export function describeTarget(target: RolloutTarget): string {
  return [target.appVersion && `app ${target.appVersion}`, target.chartVersion && `chart ${target.chartVersion}`].filter(Boolean).join(', ');
}

export const RolloutSelector = z
  .strictObject({
    tiers: z.array(TierName).min(1).optional().openapi({ description: 'Only tenants of these tiers' }),
    tenantIds: z.array(TenantId).min(1).max(10_000).optional().openapi({ description: 'Only these tenants' }),
    labels: TenantLabels.optional().openapi({
      description: `Only tenants carrying every one of these labels with these values (like matchLabels); the others are not selected. ${LABEL_RULES}`,
    }),
    exclude: z.array(TenantId).max(10_000).default([]).openapi({ description: 'Never these tenants' }),
  })
  .openapi('RolloutSelector', { description: 'Which tenants; pinned tenants are always skipped' });

export const RolloutStrategy = z
  .strictObject({
    canary: z
      .strictObject({
        count: z.int().min(0).max(100).default(1).openapi({ description: 'The first N of the selection, when no tenant is named' }),
        tenantIds: z.array(TenantId).min(1).max(100).optional().openapi({ description: 'Named canary tenants (must be in the selection)' }),
      })
      .prefault({}),
    waves: z
      .array(TenantCount)
      .min(1)
      .max(50)
      .default(['100%'])
      .openapi({
        description: 'The size of each wave after the canaries, as a count or a percentage of them; tenants left over form one last wave',
        example: ['10%', '40%', '100%'],
      }),
    maxParallel: z.int().min(1).max(100).default(5).openapi({ description: 'Tenants updated at once inside a wave' }),
    bakeSeconds: z
      .int()
      .min(0)
      .max(86_400)
      .default(60)
      .openapi({ description: 'How long every tenant of a finished wave must stay healthy before the next starts' }),
    maxFailures: TenantCount.default(0).openapi({
      description: 'Failed tenants tolerated (count or % of the selection) before the rollout halts; a failed canary always halts',
    }),
    progressDeadlineSeconds: z
      .int()
      .min(10)
      .max(86_400)
      .default(900)
      .openapi({ description: 'A tenant not on the new version this long after its update started has failed' }),
  })
  .openapi('RolloutStrategy');

/** The body of `POST /api/rollouts`. */
export const RolloutRequest = z
  .strictObject({ target: RolloutTarget, selector: RolloutSelector.prefault({}), strategy: RolloutStrategy.prefault({}) })
  .openapi('RolloutRequest');
export type RolloutRequest = z.infer<typeof RolloutRequest>;

export const RolloutState = z.enum(['running', 'paused', 'halted', 'aborted', 'completed']);
export type RolloutState = z.infer<typeof RolloutState>;

export const RolloutTenantState = z.enum(['waiting', 'updating', 'succeeded', 'failed']);
export type RolloutTenantState = z.infer<typeof RolloutTenantState>;

const RolloutTenant = z.strictObject({
  state: RolloutTenantState,
  /** The update job the rollout asked for. */
  jobId: z.string().optional(),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime().optional(),
  message: z.string().max(500).optional(),
});
export type RolloutTenant = z.infer<typeof RolloutTenant>;

export const RolloutWave = z.strictObject({ name: z.string(), tenantIds: z.array(TenantId), canary: z.boolean() });
export type RolloutWave = z.infer<typeof RolloutWave>;

/** A rollout as recorded in the cluster: what was asked, the frozen plan, and where it is. */
export const Rollout = z
  .strictObject({
    id: z.string(),
    createdAt: z.iso.datetime(),
    createdBy: z.string(),
    request: RolloutRequest,
    waves: z.array(RolloutWave),
    skipped: z.array(z.strictObject({ tenantId: TenantId, reason: z.string() })),
    state: RolloutState,
    /** Why it halted, was aborted or completed. */
    reason: z.string().optional(),
    /** The wave being updated or baked. */
    waveIndex: z.int().min(0),
    /** Set once the current wave's tenants all finished: the next wave starts after it, if they stay healthy. */
    bakeUntil: z.iso.datetime().nullable(),
    tenants: z.record(z.string(), RolloutTenant),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Rollout');
export type Rollout = z.infer<typeof Rollout>;

export const isFinished = (state: RolloutState) => state === 'halted' || state === 'aborted' || state === 'completed';

/** `count` of a set of `size`: a number as is (at most the set), a percentage rounded up. */
export function countOf(count: TenantCount, size: number): number {
  if (typeof count === 'number') return Math.min(count, size);
  return Math.min(size, Math.ceil((Number(count.slice(0, -1)) / 100) * size));
}
