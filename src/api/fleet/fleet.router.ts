import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { FleetTarget } from '../../domain/tenant-version.ts';
import type { TenantStore } from '../../kubernetes/tenant-store.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { fleetVersions, FleetVersions } from '../../services/fleet-versions.ts';
import { createRouter, type AppEnv } from '../app-env.ts';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { FLEET_EXAMPLE } from '../openapi/examples.ts';
import { OPERATION_IDS } from '../openapi/links.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';

export const fleetRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: OPERATION_IDS.fleet,
  tags: ['Tenants'],
  security: BEARER_SECURITY,
  summary: 'Version skew of the fleet',
  description:
    'How many tenants run each version (chart version and app version), by tier, with pinned tenants counted and listed, ' +
    "against the configured target. Read from the tenants' own records (what the worker recorded at each deploy), one paged list " +
    'of namespaces and no request per tenant. A tenant deployed before versions were recorded counts as "unknown" until its next deploy.',
  responses: {
    200: { description: 'The version skew', content: { 'application/json': { schema: FleetVersions, example: FLEET_EXAMPLE } } },
    ...errorResponses('dependency_unavailable', ...API_PROBLEMS),
  },
});

/** `/api/fleet`: one GET, so one file (STYLE 15). */
export function createFleetRouter(deps: { registry: Pick<TenantStore, 'all'>; target: () => FleetTarget }, guard: MiddlewareHandler[]) {
  const router = createRouter();
  router.use('*', ...guard);
  // A whole-fleet read walks every page: three times the single-read budget, as the intake's writes get.
  const read: RouteHandler<typeof fleetRoute, AppEnv> = async (c) =>
    c.json(await dependencyCall('The Kubernetes API', fleetVersions(deps.registry, deps.target()), CLUSTER_DEADLINE_MS * 3), 200);
  router.openapi(fleetRoute, read);
  return router;
}
