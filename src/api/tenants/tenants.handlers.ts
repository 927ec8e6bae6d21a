import type { RouteHandler } from '@hono/zod-openapi';
import type { TenantRegistry } from '../../kubernetes/tenant-registry.ts';
import { listTenants } from '../../services/tenant-listing.ts';
import type { AppEnv } from '../app-env.ts';
import type { listTenantsRoute } from './tenants.routes.ts';

export function tenantsHandlers(registry: Pick<TenantRegistry, 'list'>) {
  const list: RouteHandler<typeof listTenantsRoute, AppEnv> = async (c) => c.json(await listTenants(registry, c.req.valid('query')), 200);
  return { list };
}
