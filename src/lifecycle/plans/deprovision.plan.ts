import type { DeprovisionJob } from '../../jobs/job-catalog.ts';
import type { Step } from '../../worker/step-runner.ts';
import type { OperationDeps } from './plan-deps.ts';

export type DeprovisionResult = { tenantId: string; namespace: string; removed: boolean; durationSeconds: number };

/** Idempotent at every step: a release or namespace that is already gone counts as removed. */
export function deprovisionSteps(deps: OperationDeps, jobId: string, job: DeprovisionJob, result: Partial<DeprovisionResult>): Step[] {
  const { registry, intents, helm, workloads, config } = deps;
  let present = true;
  return [
    {
      name: 'validate', timeoutSeconds: config.timeouts.validate,
      async run() {
        const tenant = await registry.get(job.tenantId);
        present = tenant !== undefined;
        // A namespace created after this removal was asked for, whose marker names another job, is a
        // later incarnation (provisioned again once this removal finished): a stale or retried
        // removal must not delete it. Both stamps come from the intake's clock.
        const later = tenant && Date.parse(tenant.createdAt) > Date.parse(job.requestedAt);
        if (tenant && !tenant.terminating && later && tenant.operation?.jobId !== jobId) {
          present = false;
          return `tenant ${job.tenantId} was provisioned again after this removal (its marker names job ${tenant.operation?.jobId ?? 'none'}); nothing to do`;
        }
        if (tenant && !tenant.terminating) {
          await registry.ensureAccess(job.tenantId);
          await intents.markOperation(job.tenantId, { type: 'deprovision', jobId, state: 'active', at: new Date().toISOString() });
        }
        return present ? `removing tenant ${job.tenantId}` : `tenant ${job.tenantId} is already gone`;
      },
    },
    {
      name: 'uninstall-release', timeoutSeconds: config.timeouts.deployChart,
      async run({ signal }) {
        if (!present) return 'nothing to uninstall';
        await helm.uninstall(job.release, job.namespace, signal);
        return `release ${job.release} uninstalled`;
      },
    },
    {
      name: 'delete-namespace', timeoutSeconds: config.timeouts.deprovision,
      async run({ signal, note }) {
        if (!present) return 'nothing to delete';
        const outcome = await registry.delete(job.tenantId);
        if (outcome === 'deleting') await note(`namespace ${job.namespace} deleting`);
        await workloads.waitForNamespaceGone(job.namespace, {
          timeoutMs: config.timeouts.deprovision * 1000, signal, onChange: (reason) => void note(reason, 'debug'),
        });
        result.tenantId = job.tenantId;
        result.namespace = job.namespace;
        result.removed = present;
        result.durationSeconds = Math.round((Date.now() - Date.parse(job.requestedAt)) / 100) / 10;
        return `namespace ${job.namespace} removed`;
      },
    },
  ];
}
