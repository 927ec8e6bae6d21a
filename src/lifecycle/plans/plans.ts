import type { BackupJob, ConvergeJob, DeprovisionJob, ExportJob, JobName, ProvisionJob } from '../../jobs/job-catalog.ts';
import { abandonRollback, abandonSwitch } from '../blue-green.ts';
import { rollBackToLastDeployed } from '../release-recovery.ts';
import type { Step } from '../../worker/step-runner.ts';
import { recordMarker } from '../markers.ts';
import { compensateProvision } from '../removal.ts';
import { tenantRef } from '../tenant-ref.ts';
import { convergeSteps } from './converge.plan.ts';
import { deprovisionSteps } from './deprovision.plan.ts';
import type { OperationDeps } from './plan-deps.ts';
import { provisionSteps } from './provision.plan.ts';
import { rollbackSteps } from './rollback.plan.ts';
import { backupSteps } from './backup.plan.ts';
import { restoreSteps } from './restore.plan.ts';
import { compensateExport, exportSteps } from './export.plan.ts';
import { abandonRestore } from '../restore.ts';

export type TenantPayload = ProvisionJob | DeprovisionJob | ConvergeJob | BackupJob | ExportJob;

/** The step plan of each tenant operation; `result` is filled in as the steps run. */
export function planFor(deps: OperationDeps, name: JobName, jobId: string, payload: TenantPayload, result: Record<string, unknown>): Step[] {
  switch (name) {
    case 'provision':
      return provisionSteps(deps, jobId, payload as ProvisionJob, result);
    case 'deprovision':
    case 'purge':
      return deprovisionSteps(deps, jobId, payload as DeprovisionJob, result, name);
    case 'update':
    case 'hibernate':
    case 'resume':
    case 'undelete':
      return convergeSteps(deps, jobId, name, payload, result);
    case 'rollback':
      return rollbackSteps(deps, jobId, payload, result);
    case 'restore':
      return restoreSteps(deps, jobId, payload, result);
    case 'backup':
      return backupSteps(deps, payload as BackupJob, result);
    case 'export':
      return exportSteps(deps, payload as ExportJob, result);
  }
}

/**
 * Undoes what a job that will not be retried left behind, while still holding the tenant's lease.
 * A provision that never deployed is removed (unless kept for inspection; see removal.ts); a change
 * to a live tenant goes back to its last deployed revision and is never uninstalled, so no database
 * or volume is lost to a failed job. A failed blue-green switch leaves the serving slot serving and
 * removes the staged one. `signal` bounds the Helm calls (the caller gives it a deadline).
 */
export async function compensate(
  deps: OperationDeps,
  name: JobName,
  jobId: string,
  payload: TenantPayload,
  failure: { step: string; message: string },
  signal: AbortSignal = AbortSignal.timeout(deps.config.timeouts.deployChart * 1000),
): Promise<string> {
  // Runs beside the tenant's operation: it changed neither release nor record, and the marker is not its own.
  if (name === 'backup') return 'nothing to undo';
  // Records no intent either: a closed account's database it woke goes back to sleep, and the tenant is not marked failed.
  if (name === 'export') return compensateExport(deps, payload.tenantId, signal);
  const ref = tenantRef(deps.config, payload.tenantId);
  if (name === 'provision') return compensateProvision(deps, ref, jobId, failure, signal);
  let done = 'kept for inspection';
  if (name === 'update' || name === 'hibernate' || name === 'resume' || name === 'undelete') {
    done = (await rollBackToLastDeployed(deps.helm, ref.release, ref.namespace, signal)) ?? 'release left as it was (deployed, or never deployed)';
    // A blue-green switch that did not happen is given up, so the sweep does not stage it for ever.
    const abandoned = await abandonSwitch(deps, ref, jobId, signal);
    if (abandoned) done = `${done}; ${abandoned}`;
  }
  if (name === 'rollback') done = (await abandonRollback(deps, ref, jobId, signal)) ?? 'nothing to undo';
  // Before the application moved, the staged database goes and the serving one stays; after, the
  // application stays on the restored one (the next update removes the old Cluster).
  if (name === 'restore') done = (await abandonRestore(deps, ref, jobId, signal)) ?? 'the application had moved to the restored database; it stays there';
  await recordMarker(deps.tenants, ref.tenantId, { type: name, jobId, state: 'failed', at: new Date().toISOString(), ...failure });
  return done;
}
