import type { MiddlewareHandler } from 'hono';
import { dryRunRollout, type RolloutDryRunDeps } from '../../lifecycle/rollout-dry-run.ts';
import { changeRolloutState, createRollout, type RolloutDeps } from '../../lifecycle/rollouts.ts';
import { RolloutNotFoundError } from '../../domain/errors.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { createRouter } from '../app-env.ts';
import { rolloutDryRunBody } from './rollout-dry-run.ts';
import { rolloutEventsHandler, type RolloutEventsOptions } from './rollout-events.ts';
import { rolloutEventsRoute } from './rollout-events.routes.ts';
import { RolloutProgress } from './rollout-progress.schema.ts';
import { abortRolloutRoute, createRolloutRoute, getRolloutRoute, listRolloutsRoute, pauseRolloutRoute, resumeRolloutRoute } from './rollouts.routes.ts';

/** `/api/rollouts`: create, read, list, pause, resume and abort fleet rollouts, and follow one (server-sent events). */
export function createRolloutsRouter(deps: RolloutDeps & RolloutDryRunDeps, guard: MiddlewareHandler[], events: Omit<RolloutEventsOptions, 'logger'>) {
  const router = createRouter();
  router.use('*', ...guard);
  // Planning lists every tenant: a longer deadline than one read.
  const cluster = <T>(work: Promise<T>) => dependencyCall('The Kubernetes API', work, CLUSTER_DEADLINE_MS * 3);
  router.openapi(createRolloutRoute, async (c) => {
    if (c.req.valid('query').dryRun === 'true') return c.json(rolloutDryRunBody(await cluster(dryRunRollout(deps, c.req.valid('json'))), c.var.logger), 200);
    const rollout = await cluster(createRollout(deps, c.req.valid('json'), c.var.principal.subject));
    return c.json(rollout, 202, { Location: `/api/rollouts/${rollout.id}` });
  });
  router.openapi(listRolloutsRoute, async (c) => c.json({ items: await cluster(deps.rollouts.list()) }, 200));
  router.openapi(getRolloutRoute, async (c) => {
    const { rolloutId } = c.req.valid('param');
    const found = await cluster(deps.rollouts.read(rolloutId));
    if (!found) throw new RolloutNotFoundError(rolloutId);
    return c.json(found.rollout, 200);
  });
  const change =
    (action: 'pause' | 'resume' | 'abort') => async (c: { req: { valid(t: 'param'): { rolloutId: string } }; var: { principal: { subject: string } } }) =>
      cluster(changeRolloutState(deps, c.req.valid('param').rolloutId, action, c.var.principal.subject));
  router.openapi(pauseRolloutRoute, async (c) => c.json(await change('pause')(c), 200));
  router.openapi(resumeRolloutRoute, async (c) => c.json(await change('resume')(c), 200));
  router.openapi(abortRolloutRoute, async (c) => c.json(await change('abort')(c), 200));
  router.openapi(rolloutEventsRoute, rolloutEventsHandler(deps.rollouts, { ...events, logger: deps.logger }));
  router.openAPIRegistry.register('RolloutProgress', RolloutProgress);
  return router;
}
