import type { MiddlewareHandler } from 'hono';
import { databaseName, servingDatabase } from '../../domain/database-generation.ts';
import type { TenantStore } from '../../kubernetes/tenant-store.ts';
import type { TenantWorkloads } from '../../kubernetes/tenant-workloads.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { createRouter } from '../app-env.ts';
import { newestCompletedBackup } from '../../lifecycle/recovery-target.ts';
import { listTemplatesRoute, type TemplateList } from './templates.routes.ts';

/** `/api/templates`: the tenants clones can start from. Marking one is under /api/tenants/{tenantId}/template. */
export function createTemplatesRouter(
  deps: { registry: Pick<TenantStore, 'templates'>; workloads: Pick<TenantWorkloads, 'listBackups'> },
  guard: MiddlewareHandler[],
) {
  const router = createRouter();
  router.use('*', ...guard);
  router.openapi(listTemplatesRoute, async (c) => {
    const read = async (): Promise<TemplateList> => {
      const tenants = await deps.registry.templates();
      const templates = await Promise.all(
        tenants.map(async (t) => {
          const backups = await deps.workloads.listBackups(t.namespace, databaseName(t.tenantId, servingDatabase(t).generation));
          const newest = newestCompletedBackup(backups);
          return {
            tenantId: t.tenantId,
            tier: t.desired.tier,
            template: t.template!,
            newestBackup: newest ? { backupId: newest.backupId, stoppedAt: newest.stoppedAt } : null,
          };
        }),
      );
      return { templates: templates.sort((a, b) => a.tenantId.localeCompare(b.tenantId)) };
    };
    return c.json(await dependencyCall('The Kubernetes API', read(), CLUSTER_DEADLINE_MS), 200);
  });
  return router;
}
