import type { MiddlewareHandler } from 'hono';
import type { TenantStore } from '../../kubernetes/tenant-store.ts';
import { acceptedBody } from '../../lifecycle/accepted.ts';
import { requestRollback, requestUndelete, type LifecycleDeps } from '../../lifecycle/intake.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { createRouter } from '../app-env.ts';
import { rollbackRoute, undeleteRoute } from '../lifecycle/lifecycle.routes.ts';
import { createBackupRoute, listBackupsRoute, restoreRoute } from '../backups/backups.routes.ts';
import { requestRestore } from '../../lifecycle/restore-intake.ts';
import { requestBackup } from '../../lifecycle/backup-intake.ts';
import type { TenantWorkloads } from '../../kubernetes/tenant-workloads.ts';
import { TenantNotFoundError } from '../../domain/errors.ts';
import { namespaceFor } from '../../domain/tenant-id.ts';
import { tenantObjectNames } from '../../lifecycle/plans/plan-deps.ts';
import { FIRST_SLOT } from '../../domain/slots.ts';
import { servingDatabase } from '../../domain/database-generation.ts';
import { markTemplateRoute, unmarkTemplateRoute } from '../templates/templates.routes.ts';
import { requestTemplateMark, requestTemplateUnmark } from '../../lifecycle/template-intake.ts';
import { tenantsHandlers } from './tenants.handlers.ts';
import { listTenantsRoute } from './tenants.routes.ts';

/** `/api/tenants`: the tenant list, a tenant's rollback within its blue-green switch window, its undelete, its backups and restores, its template mark. */
export function createTenantsRouter(
  deps: { registry: Pick<TenantStore, 'list'>; lifecycle: LifecycleDeps; workloads: Pick<TenantWorkloads, 'listBackups'> },
  guard: MiddlewareHandler[],
) {
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
  router.openapi(undeleteRoute, async (c) => {
    const undelete = requestUndelete(deps.lifecycle, c.req.valid('param').tenantId);
    const accepted = acceptedBody(await dependencyCall('The Kubernetes API', undelete, CLUSTER_DEADLINE_MS * 3));
    return c.json(accepted, 202, { Location: accepted.links.job });
  });
  router.openapi(listBackupsRoute, async (c) => {
    const { tenantId } = c.req.valid('param');
    const read = async () => {
      const found = await deps.lifecycle.tenants.read(tenantId);
      if (!found) throw new TenantNotFoundError(tenantId);
      const namespace = namespaceFor(deps.lifecycle.config.platform.namespacePrefix, tenantId);
      return deps.workloads.listBackups(namespace, tenantObjectNames(tenantId, FIRST_SLOT, servingDatabase(found.tenant).generation).database);
    };
    const backups = await dependencyCall('The Kubernetes API', read(), CLUSTER_DEADLINE_MS);
    return c.json({ tenantId, backups }, 200);
  });
  router.openapi(createBackupRoute, async (c) => {
    const request = requestBackup(deps.lifecycle, c.req.valid('param').tenantId);
    const accepted = await dependencyCall('The Kubernetes API', request, CLUSTER_DEADLINE_MS * 2);
    const body = { ...acceptedBody(accepted), backupName: accepted.backupName };
    return c.json(body, 202, { Location: body.links.job });
  });
  router.openapi(restoreRoute, async (c) => {
    const restore = requestRestore({ ...deps.lifecycle, workloads: deps.workloads }, c.req.valid('param').tenantId, c.req.valid('json'));
    const accepted = acceptedBody(await dependencyCall('The Kubernetes API', restore, CLUSTER_DEADLINE_MS * 3));
    return c.json(accepted, 202, { Location: accepted.links.job });
  });
  router.openapi(markTemplateRoute, async (c) => {
    const mark = requestTemplateMark(deps.lifecycle, c.req.valid('param').tenantId, c.req.valid('json'), c.var.principal.subject);
    return c.json(await dependencyCall('The Kubernetes API', mark, CLUSTER_DEADLINE_MS * 2), 200);
  });
  router.openapi(unmarkTemplateRoute, async (c) => {
    await dependencyCall('The Kubernetes API', requestTemplateUnmark(deps.lifecycle, c.req.valid('param').tenantId), CLUSTER_DEADLINE_MS * 2);
    return c.body(null, 204);
  });
  return router;
}
