import type { MiddlewareHandler } from 'hono';
import type { TenantExports } from '../../backup/tenant-exports.ts';
import { TenantNotFoundError } from '../../domain/errors.ts';
import { acceptedBody } from '../../lifecycle/accepted.ts';
import { requestExport } from '../../lifecycle/export-intake.ts';
import type { LifecycleDeps } from '../../lifecycle/intake.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { createRouter } from '../app-env.ts';
import { createExportRoute, getExportRoute, listExportsRoute } from './exports.routes.ts';

/** A store answers as quickly as the cluster: the URL is minted locally, after one HEAD. */
const STORE_DEADLINE_MS = CLUSTER_DEADLINE_MS * 2;

/** `/api/tenants/{tenantId}/exports`: a tenant's database as a pg_dump, and its download. */
export function createExportsRouter(deps: { lifecycle: LifecycleDeps; exports: Pick<TenantExports, 'list' | 'describe'> }, guard: MiddlewareHandler[]) {
  const router = createRouter();
  router.use('*', ...guard);
  const existing = async (tenantId: string) => {
    if (!(await deps.lifecycle.tenants.read(tenantId))) throw new TenantNotFoundError(tenantId);
  };
  router.openapi(createExportRoute, async (c) => {
    const accepted = await dependencyCall('The Kubernetes API', requestExport(deps.lifecycle, c.req.valid('param').tenantId), CLUSTER_DEADLINE_MS * 2);
    const body = { ...acceptedBody(accepted), exportId: accepted.exportId };
    return c.json(body, 202, { Location: body.links.job });
  });
  router.openapi(listExportsRoute, async (c) => {
    const { tenantId } = c.req.valid('param');
    const list = async () => {
      await existing(tenantId);
      return deps.exports.list(tenantId);
    };
    return c.json({ tenantId, exports: await dependencyCall('The object store', list(), STORE_DEADLINE_MS) }, 200);
  });
  router.openapi(getExportRoute, async (c) => {
    const { tenantId, exportId } = c.req.valid('param');
    const describe = async () => {
      await existing(tenantId);
      return deps.exports.describe(tenantId, exportId);
    };
    return c.json(await dependencyCall('The object store', describe(), STORE_DEADLINE_MS), 200);
  });
  return router;
}
