import type { RouteConfig, RouteHandler } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ChangeRejectedError, TenantConflictError, TenantNotFoundError } from '../../lifecycle/errors.ts';
import { requestHibernate, requestResume, requestUpdate, type LifecycleAccepted, type LifecycleDeps } from '../../lifecycle/intake.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { createRouter, type AppEnv } from '../app-env.ts';
import { ProblemError } from '../errors/problem-error.ts';
import { lifecycleRoutes, type LifecycleRoutes } from './lifecycle.routes.ts';

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

/** The lifecycle intake's typed refusals, as the error table's problems. */
function asProblem(error: unknown): never {
  if (error instanceof TenantNotFoundError) throw new ProblemError('not_found', { detail: error.message });
  if (error instanceof TenantConflictError) throw new ProblemError('conflict', { detail: error.message });
  if (error instanceof ChangeRejectedError) throw new ProblemError('validation_failed', { detail: error.message, errors: error.errors });
  throw error;
}

const body = (a: LifecycleAccepted) => ({
  jobId: a.jobId, tenantId: a.tenantId, namespace: a.namespace, state: a.state,
  links: { job: `/api/jobs/${a.jobId}`, events: `/api/jobs/${a.jobId}/events`, status: `/api/provisioning/${a.tenantId}/status` },
});

/** `PUT /api/provisioning/{tenantId}`, `…/hibernate`, `…/resume` over the lifecycle intake. */
export function createLifecycleRouter(deps: LifecycleDeps, guard: MiddlewareHandler[]) {
  const routes = lifecycleRoutes(deps.config.platform.baseDomain);
  const router = createRouter();
  router.use('*', ...guard);
  const run = async (work: Promise<LifecycleAccepted>) => body(await dependencyCall('The Kubernetes API', work.catch(asProblem), CLUSTER_DEADLINE_MS * 3));
  const update: Handler<LifecycleRoutes['update']> = async (c) => {
    const accepted = await run(requestUpdate(deps, c.req.valid('param').tenantId, c.req.valid('json')));
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
  router.openapi(routes.update, update);
  router.openapi(routes.hibernate, hibernate);
  router.openapi(routes.resume, resume);
  return router;
}
