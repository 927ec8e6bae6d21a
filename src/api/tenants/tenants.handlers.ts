import type { RouteHandler } from '@hono/zod-openapi';
import type { TenantStore } from '../../kubernetes/tenant-store.ts';
import { listTenants } from '../../services/tenant-listing.ts';
import type { AppEnv } from '../app-env.ts';
import type { listTenantsRoute } from './tenants.routes.ts';

export function tenantsHandlers(registry: Pick<TenantStore, 'list'>) {
  const list: RouteHandler<typeof listTenantsRoute, AppEnv> = async (c) => c.json(await listTenants(registry, c.req.valid('query')), 200);
  return { list };
}
