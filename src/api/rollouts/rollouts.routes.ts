import { createRoute, z } from '@hono/zod-openapi';
import { Rollout, RolloutRequest, RolloutState } from '../../domain/rollout.ts';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { OPERATION_IDS } from '../openapi/links.ts';
import { ROLLOUT_DRY_RUN_EXAMPLE, RolloutDryRun, RolloutDryRunQuery } from './rollout-dry-run.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';

const tags = ['Rollouts'];
const problems = errorResponses('not_found', 'conflict', 'dependency_unavailable', ...API_PROBLEMS);

export const RolloutIdParams = z.object({
  rolloutId: z
    .string()
    .regex(/^[a-f0-9]{10}$/, 'must be a rollout id')
    .openapi({ param: { name: 'rolloutId', in: 'path' }, example: '9f2c4e1a7b' }),
});

export const RolloutSummary = z
  .object({
    id: z.string(),
    state: RolloutState,
    createdAt: z.string(),
    appVersion: z.string().optional().openapi({ description: "The target's app version, when it names one" }),
    chartVersion: z.string().optional().openapi({ description: "The target's chart version, when it names one" }),
  })
  .openapi('RolloutSummary');
export const RolloutList = z.object({ items: z.array(RolloutSummary) }).openapi('RolloutList');

const ROLLOUT_EXAMPLE: RolloutRequest = {
  target: { appVersion: '2026.12.1' },
  selector: { tiers: ['professional', 'enterprise'], exclude: ['acme-auto-3f9a1c'] },
  strategy: { canary: { count: 1 }, waves: ['10%', '50%', '100%'], maxParallel: 10, bakeSeconds: 300, maxFailures: '2%', progressDeadlineSeconds: 900 },
};

const RECORD_EXAMPLE: Rollout = {
  id: '9f2c4e1a7b',
  createdAt: '2026-12-01T09:00:00.000Z',
  createdBy: 'ops@mechanicbuddy.app',
  request: ROLLOUT_EXAMPLE,
  waves: [
    { name: 'canary', tenantIds: ['bay-motors-1a2b3c'], canary: true },
    { name: 'wave-1', tenantIds: ['city-garage-4d5e6f', 'quick-fix-7a8b9c'], canary: false },
  ],
  skipped: [{ tenantId: 'acme-auto-3f9a1c', reason: 'excluded' }],
  state: 'running',
  waveIndex: 1,
  bakeUntil: null,
  tenants: {
    'bay-motors-1a2b3c': {
      state: 'succeeded',
      jobId: 'rollout-9f2c4e1a7b-bay-motors-1a2b3c',
      startedAt: '2026-12-01T09:00:05.000Z',
      finishedAt: '2026-12-01T09:01:10.000Z',
    },
    'city-garage-4d5e6f': { state: 'updating', jobId: 'rollout-9f2c4e1a7b-city-garage-4d5e6f', startedAt: '2026-12-01T09:06:15.000Z' },
    'quick-fix-7a8b9c': { state: 'waiting' },
  },
  updatedAt: '2026-12-01T09:06:15.000Z',
};

const rolloutBody = (description: string) => ({
  description,
  content: { 'application/json': { schema: Rollout, example: RECORD_EXAMPLE } },
  links: {
    GetRollout: { operationId: OPERATION_IDS.getRollout, parameters: { rolloutId: '$response.body#/id' }, description: 'Follow its progress' },
    PauseRollout: { operationId: OPERATION_IDS.pauseRollout, parameters: { rolloutId: '$response.body#/id' }, description: 'Pause it' },
    AbortRollout: { operationId: OPERATION_IDS.abortRollout, parameters: { rolloutId: '$response.body#/id' }, description: 'Abort it' },
  },
});

export const createRolloutRoute = createRoute({
  method: 'post',
  path: '/',
  operationId: OPERATION_IDS.createRollout,
  tags,
  security: BEARER_SECURITY,
  summary: 'Roll a release out to the fleet',
  description:
    'Ships an app version (a blue-green switch per tenant), a tenant-chart version (an upgrade in place) or both; a chart version the ' +
    'catalog lacks is refused with 422. Plans once, over the tenants as they are now: the selection (tiers, labels, tenant ids, exclusions; pinned, leaving and up-to-date tenants skipped, ' +
    'with the reason), the canaries first, then cumulative waves. The rollout sweep then moves it: each tenant gets an update ' +
    'through the lifecycle intake, at most maxParallel at once; a finished wave bakes, and the next starts only if every tenant of it stayed ' +
    'healthy. A failed canary, a spent failure budget or an unhealthy tenant during a bake halts it. The plan and its progress live in the ' +
    'cluster, so the rollout survives the loss of any process or of Redis. ' +
    'With dryRun=true it answers 200 with the same plan (the same refusals) and, for the first planned tenants in wave order, ' +
    'the object diff of their update against the live release, as PUT /api/provisioning/{tenantId}?dryRun=true renders it; a tenant whose ' +
    'render fails carries its problem, the others still render. At most a few render at once, under one deadline; tenants past the limit ' +
    'or the deadline are listed as not rendered, with the reason. Nothing is recorded and no job is queued.',
  request: {
    query: RolloutDryRunQuery,
    body: { content: { 'application/json': { schema: RolloutRequest, example: ROLLOUT_EXAMPLE } }, required: true },
  },
  responses: {
    200: {
      description: 'dryRun=true: the plan and each planned tenant’s diff; nothing was recorded or queued',
      content: { 'application/json': { schema: RolloutDryRun, example: ROLLOUT_DRY_RUN_EXAMPLE } },
    },
    202: rolloutBody('Accepted: the plan, running'),
    // 409: a named canary is not in the selection (pinned, excluded, being removed, already on the target, or no such tenant).
    ...errorResponses('validation_failed', 'bad_request', 'conflict', 'payload_too_large', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

export const listRolloutsRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: OPERATION_IDS.listRollouts,
  tags,
  security: BEARER_SECURITY,
  summary: 'List rollouts',
  description: 'Every rollout, oldest first, with its state.',
  responses: {
    200: {
      description: 'The rollouts',
      content: {
        'application/json': {
          schema: RolloutList,
          example: { items: [{ id: RECORD_EXAMPLE.id, state: 'running', createdAt: RECORD_EXAMPLE.createdAt, appVersion: '2026.12.1' }] },
        },
      },
    },
    ...errorResponses('dependency_unavailable', ...API_PROBLEMS),
  },
});

export const getRolloutRoute = createRoute({
  method: 'get',
  path: '/{rolloutId}',
  operationId: OPERATION_IDS.getRollout,
  tags,
  security: BEARER_SECURITY,
  summary: 'A rollout: its plan and progress',
  description: 'The waves, each tenant’s state (waiting, updating, succeeded, failed with the reason), the current wave and its bake.',
  request: { params: RolloutIdParams },
  responses: { 200: rolloutBody('The rollout'), ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS) },
});

const stateChange = (action: 'pause' | 'resume' | 'abort', operationId: string, summary: string, description: string) =>
  createRoute({
    method: 'post',
    path: `/{rolloutId}/${action}`,
    operationId,
    tags,
    security: BEARER_SECURITY,
    summary,
    description,
    request: { params: RolloutIdParams },
    responses: { 200: rolloutBody('The rollout, changed'), ...errorResponses('validation_failed'), ...problems },
  });

export const pauseRolloutRoute = stateChange(
  'pause',
  OPERATION_IDS.pauseRollout,
  'Pause a rollout',
  'No tenant is started until it resumes; updates already started finish. 409 unless running; pausing a paused rollout changes nothing.',
);
export const resumeRolloutRoute = stateChange(
  'resume',
  OPERATION_IDS.resumeRollout,
  'Resume a paused rollout',
  'It goes on where it was. 409 once it has ended; resuming a running rollout changes nothing.',
);
export const abortRolloutRoute = stateChange(
  'abort',
  OPERATION_IDS.abortRollout,
  'Abort a rollout',
  'For good: no tenant is started again. Updates already started finish, each a whole blue-green switch or given up, so every tenant ' +
    'is left on the new version or on its previous one, healthy. 409 once it has ended.',
);
