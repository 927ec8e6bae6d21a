import { z } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { isDomainError } from '../../domain/errors.ts';
import { Rollout } from '../../domain/rollout.ts';
import { UpdateDryRun } from '../../lifecycle/dry-run.ts';
import { ROLLOUT_DRY_RUN_LIMITS, type RolloutDryRunResult, type TenantDryRun } from '../../lifecycle/rollout-dry-run.ts';
import { asDependencyError } from '../../services/dependency.ts';
import { problemFromDomainError } from '../errors/domain-problems.ts';
import { ProblemError } from '../errors/problem-error.ts';
import { ProblemDocument } from '../errors/problem.schema.ts';
import { DryRunQuery } from '../lifecycle/lifecycle.routes.ts';

const { maxTenants, concurrency, deadlineMs } = ROLLOUT_DRY_RUN_LIMITS;

export const RolloutDryRunQuery = z.object({
  dryRun: DryRunQuery.shape.dryRun.openapi({
    description: `true: answer 200 with the plan and, for the first ${maxTenants} planned tenants, the object diff of their update against the live release; nothing is recorded or queued`,
  }),
});

const placed = { tenantId: z.string(), wave: z.string().openapi({ description: 'The wave the plan puts the tenant in' }) };

/** One planned tenant of a rollout's dry run: the diff of its update, the problem that stopped its render, or why it was not rendered. */
export const RolloutTenantDryRun = z
  .discriminatedUnion('outcome', [
    z.object({ ...placed, outcome: z.literal('rendered'), switch: UpdateDryRun.shape.switch, changes: UpdateDryRun.shape.changes }),
    z.object({
      ...placed,
      outcome: z.literal('failed'),
      problem: ProblemDocument.pick({ type: true, title: true, status: true, detail: true, errors: true }).openapi({
        description: 'What the single-tenant dry run (PUT …?dryRun=true) would have answered',
      }),
    }),
    z.object({ ...placed, outcome: z.literal('not-rendered'), reason: z.string() }),
  ])
  .openapi('RolloutTenantDryRun');
export type RolloutTenantDryRun = z.infer<typeof RolloutTenantDryRun>;

/** What `POST /api/rollouts?dryRun=true` answers: the plan as the rollout would freeze it, each tenant's diff, and nothing changed. */
export const RolloutDryRun = z
  .object({
    dryRun: z.literal(true),
    request: Rollout.shape.request,
    waves: Rollout.shape.waves,
    skipped: Rollout.shape.skipped,
    limits: z
      .object({ maxTenants: z.int(), concurrency: z.int(), deadlineMs: z.int() })
      .openapi({ description: 'How many tenants get a diff, how many render at once, and the deadline of the whole dry run' }),
    tenants: z.array(RolloutTenantDryRun).openapi({ description: 'Every planned tenant, in wave order' }),
  })
  .openapi('RolloutDryRun');
export type RolloutDryRun = z.infer<typeof RolloutDryRun>;

/** A failed render as the problem the single-tenant dry run answers: domain refusals through the one table, the rest as the API would. */
function problemOf(error: unknown, logger: Pick<Logger, 'error'>, tenantId: string): ProblemError {
  const classified = asDependencyError('The Kubernetes API', error);
  if (isDomainError(classified)) return problemFromDomainError(classified);
  logger.error({ err: error, tenantId }, 'rollout dry run: a render failed unexpectedly');
  return new ProblemError('internal', { detail: 'The render failed unexpectedly. It has been logged; quote the requestId when reporting it.', cause: error });
}

function tenantEntry(t: TenantDryRun, logger: Pick<Logger, 'error'>): RolloutTenantDryRun {
  if (t.outcome !== 'failed') return t;
  const p = problemOf(t.error, logger, t.tenantId);
  const problem = { type: p.type, title: p.title, status: p.status, ...(p.detail === undefined ? {} : { detail: p.detail }) };
  return { tenantId: t.tenantId, wave: t.wave, outcome: 'failed', problem: p.errors ? { ...problem, errors: [...p.errors] } : problem };
}

/** The 200 body of a rollout's dry run. */
export function rolloutDryRunBody(result: RolloutDryRunResult, logger: Pick<Logger, 'error'>): RolloutDryRun {
  const { request, waves, skipped, limits, tenants } = result;
  return { dryRun: true, request, waves, skipped, limits, tenants: tenants.map((t) => tenantEntry(t, logger)) };
}

export const ROLLOUT_DRY_RUN_EXAMPLE: RolloutDryRun = {
  dryRun: true,
  request: {
    target: { appVersion: '2026.12.1' },
    selector: { tiers: ['professional'], exclude: [] },
    strategy: { canary: { count: 1 }, waves: ['100%'], maxParallel: 5, bakeSeconds: 60, maxFailures: 0, progressDeadlineSeconds: 900 },
  },
  waves: [
    { name: 'canary', tenantIds: ['bay-motors-1a2b3c'], canary: true },
    { name: 'wave-1', tenantIds: ['city-garage-4d5e6f', 'quick-fix-7a8b9c'], canary: false },
  ],
  skipped: [{ tenantId: 'acme-auto-3f9a1c', reason: 'pinned to 0.2.0/2026.11.2' }],
  limits: { maxTenants, concurrency, deadlineMs },
  tenants: [
    {
      tenantId: 'bay-motors-1a2b3c',
      wave: 'canary',
      outcome: 'rendered',
      switch: { from: 'blue', to: 'green' },
      changes: [
        {
          kind: 'Deployment',
          name: 'bay-motors-1a2b3c-api-green',
          action: 'create',
          paths: [],
          images: ['ghcr.io/cloudnative-pg/postgresql:17.5', 'ghcr.io/mechanicbuddy/dbup:2026.12.1', 'ghcr.io/mechanicbuddy/api:2026.12.1'],
        },
        { kind: 'Deployment', name: 'bay-motors-1a2b3c-web-green', action: 'create', paths: [], images: ['ghcr.io/mechanicbuddy/web:2026.12.1'] },
        { kind: 'Service', name: 'bay-motors-1a2b3c-api', action: 'update', paths: ['spec.selector.tenant-provisioner.io/slot'] },
        { kind: 'Service', name: 'bay-motors-1a2b3c-web', action: 'update', paths: ['spec.selector.tenant-provisioner.io/slot'] },
      ],
    },
    {
      tenantId: 'city-garage-4d5e6f',
      wave: 'wave-1',
      outcome: 'failed',
      problem: {
        type: 'tag:tenant-provisioner,2026:problem:validation_failed',
        title: 'Validation failed',
        status: 422,
        detail: 'The change to tenant city-garage-4d5e6f cannot be made: chart values don’t meet the specifications of the schema(s)',
        errors: [{ path: 'chart', message: 'values don’t meet the specifications of the schema(s)' }],
      },
    },
    { tenantId: 'quick-fix-7a8b9c', wave: 'wave-1', outcome: 'not-rendered', reason: `beyond the first ${maxTenants} planned tenants a dry run renders` },
  ],
};
