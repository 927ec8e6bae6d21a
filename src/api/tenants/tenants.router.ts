import type { MiddlewareHandler } from 'hono';
import type { TenantStore } from '../../kubernetes/tenant-store.ts';
import { acceptedBody } from '../../lifecycle/accepted.ts';
import { requestRollback, type LifecycleDeps } from '../../lifecycle/intake.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { createRouter } from '../app-env.ts';
import { rollbackRoute } from '../lifecycle/lifecycle.routes.ts';
import { tenantsHandlers } from './tenants.handlers.ts';
import { listTenantsRoute } from './tenants.routes.ts';

/** `/api/tenants`: the tenant list, and a tenant's rollback within its blue-green switch window. */
export function createTenantsRouter(deps: { registry: Pick<TenantStore, 'list'>; lifecycle: LifecycleDeps }, guard: MiddlewareHandler[]) {
  const router = createRouter();
  router.use('*', ...guard);
  router.openapi(listTenantsRoute, tenantsHandlers(deps.registry).list);
  router.openapi(rollbackRoute, async (c) => {
    // The intake's refusals are domain errors: they pass the dependency call unchanged and onError maps them.
    const accepted = acceptedBody(
      await dependencyCall('The Kubernetes API', requestRollback(deps.lifecycle, c.req.valid('param').tenantId), CLUSTER_DEADLINE_MS * 3),
    );
    return c.json(accepted, 202, { Location: accepted.links.job });
  });
  return router;
}
