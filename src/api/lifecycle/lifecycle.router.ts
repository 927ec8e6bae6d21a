import type { RouteConfig, RouteHandler } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { acceptedBody } from '../../lifecycle/accepted.ts';
import { dryRunUpdate, type DryRunDeps } from '../../lifecycle/dry-run.ts';
import { requestHibernate, requestResume, requestUpdate, type LifecycleAccepted } from '../../lifecycle/intake.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { isLabelsOnly, requestLabels } from '../../lifecycle/labels-intake.ts';
import { requestPin, requestUnpin } from '../../lifecycle/pin-intake.ts';
import { createRouter, type AppEnv } from '../app-env.ts';
import { lifecycleRoutes, type LifecycleRoutes } from './lifecycle.routes.ts';

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

/** `PUT /api/provisioning/{tenantId}`, `…/hibernate`, `…/resume`, `…/pin` over the lifecycle intake. */
export function createLifecycleRouter(deps: DryRunDeps, guard: MiddlewareHandler[]) {
  const routes = lifecycleRoutes(deps.config.platform.baseDomain);
  const router = createRouter();
  router.use('*', ...guard);
  // The intake's refusals are domain errors: they pass the dependency call unchanged and onError maps them.
  const run = async (work: Promise<LifecycleAccepted>) => acceptedBody(await dependencyCall('The Kubernetes API', work, CLUSTER_DEADLINE_MS * 3));
  const update: Handler<LifecycleRoutes['update']> = async (c) => {
    const { tenantId } = c.req.valid('param');
    const change = c.req.valid('json');
    if (c.req.valid('query').dryRun === 'true') return c.json(await cluster(dryRunUpdate(deps, tenantId, change)), 200);
    if (isLabelsOnly(change)) {
      await cluster(requestLabels(deps, tenantId, change.labels));
      return c.body(null, 204);
    }
    const accepted = await run(requestUpdate(deps, tenantId, change));
    return c.json(accepted, 202, { Location: accepted.links.job });
  };
  const hibernate: Handler<LifecycleRoutes['hibernate']> = async (c) => {
    const accepted = await run(requestHibernate(deps, c.req.valid('param').tenantId));
    return c.json(accepted, 202, { Location: accepted.links.job });
  };
  const resume: Handler<LifecycleRoutes['resume']> = async (c) => {
    const accepted = await run(requestResume(deps, c.req.valid('param').tenantId));
    return c.json(accepted, 202, { Location: accepted.links.job });
  };
  const cluster = <T>(work: Promise<T>) => dependencyCall('The Kubernetes API', work, CLUSTER_DEADLINE_MS * 3);
  const pin: Handler<LifecycleRoutes['pin']> = async (c) =>
    c.json(await cluster(requestPin(deps, c.req.valid('param').tenantId, c.req.valid('json'), c.var.principal.subject)), 200);
  const unpin: Handler<LifecycleRoutes['unpin']> = async (c) => {
    await cluster(requestUnpin(deps, c.req.valid('param').tenantId));
    return c.body(null, 204);
  };
  router.openapi(routes.update, update);
  router.openapi(routes.pin, pin);
  router.openapi(routes.unpin, unpin);
  router.openapi(routes.hibernate, hibernate);
  router.openapi(routes.resume, resume);
  return router;
}
