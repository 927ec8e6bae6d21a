import type { DeprovisionJob } from '../../jobs/job-catalog.ts';
import type { Step } from '../../worker/step-runner.ts';
import { recordMarker } from '../markers.ts';
import { deleteForRemoval, releaseDomains, removalVeto, uninstallForRemoval } from '../removal.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import { tenantRef } from '../tenant-ref.ts';
import type { OperationDeps } from './plan-deps.ts';

export type DeprovisionResult = { tenantId: string; namespace: string; removed: boolean; durationSeconds: number; keptBecause?: string };

/**
 * Idempotent at every step: a release or namespace that is already gone counts as removed. Every
 * destructive call is decided again right before it is made (src/lifecycle/removal.ts): a removal
 * that is no longer the tenant's intent, or an expiry removal of a tenant that paid, removes nothing.
 */
export function deprovisionSteps(deps: OperationDeps, jobId: string, payload: DeprovisionJob, result: Partial<DeprovisionResult>): Step[] {
  const { tenants, workloads, config } = deps;
  const ref = tenantRef(config, payload.tenantId);
  const now = () => deps.now?.() ?? new Date();
  let present = true;
  let removing: TenantRecord | undefined;
  const finish = (removed: boolean) =>
    Object.assign(result, {
      tenantId: ref.tenantId,
      namespace: ref.namespace,
      removed,
      durationSeconds: Math.round((Date.now() - Date.parse(payload.requestedAt)) / 100) / 10,
    });
  return [
    {
      name: 'validate',
      timeoutSeconds: config.timeouts.validate,
      async run({ signal }) {
        const tenant = await tenants.get(ref.tenantId);
        present = tenant !== undefined;
        if (!tenant) return `tenant ${ref.tenantId} is already gone`;
        const veto = removalVeto(config, tenant, jobId, now());
        if (veto) {
          present = false;
          result.keptBecause = veto;
          return `nothing removed: ${veto}`;
        }
        removing = tenant;
        if (!tenant.terminating) {
          await tenants.ensureAccess(ref.tenantId, signal);
          await recordMarker(tenants, ref.tenantId, { type: 'deprovision', jobId, state: 'active', at: new Date().toISOString() });
        }
        return `removing tenant ${ref.tenantId}`;
      },
    },
    {
      name: 'uninstall-release',
      timeoutSeconds: config.timeouts.deployChart,
      async run({ signal }) {
        if (!present) return 'nothing to uninstall';
        if (!(await uninstallForRemoval(deps, ref, jobId, signal))) return 'tenant already gone';
        return `release ${ref.release} uninstalled`;
      },
    },
    {
      name: 'delete-namespace',
      timeoutSeconds: config.timeouts.deprovision,
      async run({ signal, note }) {
        if (!present) {
          finish(false);
          return 'nothing to delete';
        }
        const outcome = await deleteForRemoval(deps, ref, jobId);
        if (outcome === 'deleting') await note(`namespace ${ref.namespace} deleting`);
        await workloads.waitForNamespaceGone(ref.namespace, {
          timeoutMs: config.timeouts.deprovision * 1000,
          signal,
          onChange: (reason) => void note(reason, 'debug'),
        });
        if (removing) await releaseDomains(deps, removing);
        finish(true);
        return `namespace ${ref.namespace} removed`;
      },
    },
  ];
}
