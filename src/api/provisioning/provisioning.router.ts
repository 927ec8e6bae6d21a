import type { MiddlewareHandler } from 'hono';
import { createRouter } from '../app-env.ts';
import { provisioningHandlers, type ProvisioningHandlerDeps } from './provisioning.handlers.ts';
import { provisioningRoutes } from './provisioning.routes.ts';

/** `/api/provisioning`: intake, removal, live status, credentials, validation and id suggestions. */
export function createProvisioningRouter(deps: ProvisioningHandlerDeps, guard: MiddlewareHandler[]) {
  const routes = provisioningRoutes(deps.config.platform);
  const handlers = provisioningHandlers(deps);
  const router = createRouter();
  router.use('*', ...guard);
  router.openapi(routes.provision, handlers.provision);
  router.openapi(routes.validate, handlers.validate);
  router.openapi(routes.generateId, handlers.generateId);
  router.openapi(routes.deprovision, handlers.deprovision);
  router.openapi(routes.status, handlers.status);
  router.openapi(routes.credentials, handlers.credentials);
  return router;
}
