import type { MiddlewareHandler } from 'hono';
import type { TenantStore } from '../../kubernetes/tenant-store.ts';
import { createRouter } from '../app-env.ts';
import { tenantsHandlers } from './tenants.handlers.ts';
import { listTenantsRoute } from './tenants.routes.ts';

/** `/api/tenants`: the tenant list. */
export function createTenantsRouter(registry: Pick<TenantStore, 'list'>, guard: MiddlewareHandler[]) {
  const router = createRouter();
  router.use('*', ...guard);
  router.openapi(listTenantsRoute, tenantsHandlers(registry).list);
  return router;
}
