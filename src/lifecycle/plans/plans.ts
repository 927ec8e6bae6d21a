import type { ConvergeJob, DeprovisionJob, JobName, ProvisionJob } from '../../jobs/job-catalog.ts';
import type { OperationDeps } from './plan-deps.ts';
import { convergeSteps } from './converge.plan.ts';
import { deprovisionSteps } from './deprovision.plan.ts';
import { provisionSteps } from './provision.plan.ts';
import { rollBackToLastDeployed } from '../../worker/release-recovery.ts';
import type { Step } from '../../worker/step-runner.ts';

export type TenantPayload = ProvisionJob | DeprovisionJob | ConvergeJob;

/** The step plan of each tenant operation; `result` is filled in as the steps run. */
export function planFor(deps: OperationDeps, name: JobName, jobId: string, payload: TenantPayload, result: Record<string, unknown>): Step[] {
  switch (name) {
    case 'provision':
      return provisionSteps(deps, jobId, payload as ProvisionJob, result);
    case 'deprovision':
      return deprovisionSteps(deps, jobId, payload as DeprovisionJob, result);
    case 'update':
    case 'hibernate':
    case 'resume':
      return convergeSteps(deps, jobId, name, payload, result);
  }
}

/**
 * Undoes what a job that will not be retried left behind, while still holding the tenant's lease.
 * A provision that never completed is removed (unless kept for inspection); a change to a live
 * tenant goes back to its last deployed revision and is never uninstalled, so no database or
 * volume is lost to a failed update.
 */
export async function compensate(deps: OperationDeps, name: JobName, jobId: string, payload: TenantPayload, failure: { step: string; message: string }): Promise<string> {
  const marker = { type: name, jobId, state: 'failed' as const, at: new Date().toISOString(), ...failure };
  if (name === 'provision' && !deps.config.provisioning.keepFailedForInspection) {
    // Only while the tenant is still this provision's: a request accepted since (an update, a new
    // incarnation after a removal) owns it now and will converge it.
    const current = (await deps.intents.read(payload.tenantId))?.tenant;
    if (current && current.operation?.jobId !== jobId) return `kept: job ${current.operation?.jobId ?? 'none'} now owns the tenant`;
    await deps.helm.uninstall(payload.release, payload.namespace);
    await deps.registry.delete(payload.tenantId);
    return 'release uninstalled and namespace deleted';
  }
  let done = 'kept for inspection';
  if (name === 'update' || name === 'hibernate' || name === 'resume') {
    done = (await rollBackToLastDeployed(deps.helm, payload.release, payload.namespace)) ?? 'release left as it was (deployed, or never deployed)';
  }
  await deps.intents.markOperation(payload.tenantId, marker);
  return done;
}
