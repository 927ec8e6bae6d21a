import { createRouter } from '../app-env.ts';
import { healthHandlers, type HealthDeps } from './health.handlers.ts';
import { healthzRoute, readyzRoute } from './health.routes.ts';

/** `/healthz` and `/readyz`, without authentication: probes carry no token. */
export function createHealthRouter(deps: HealthDeps) {
  const handlers = healthHandlers(deps);
  const router = createRouter();
  router.openapi(healthzRoute, handlers.healthz);
  router.openapi(readyzRoute, handlers.readyz);
  return router;
}
