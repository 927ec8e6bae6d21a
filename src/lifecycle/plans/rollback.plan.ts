import { servingDatabase } from '../../domain/database-generation.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import { FIRST_SLOT, type Slot } from '../../domain/slots.ts';
import type { ConvergeJob } from '../../jobs/job-catalog.ts';
import { deploymentReadiness } from '../../kubernetes/readiness.ts';
import { PermanentError } from '../../worker/failure.ts';
import type { Step } from '../../worker/step-runner.ts';
import { servingSlot, switchServicesTo } from '../blue-green.ts';
import { recordMarker } from '../markers.ts';
import { recordRunningVersion, switchedRunningVersion } from '../running-version.ts';
import { tenantRef } from '../tenant-ref.ts';
import { tenantChartValues } from '../tenant-values.ts';
import { tenantObjectNames, type OperationDeps } from './plan-deps.ts';

export type RollbackResult = { tenantId: string; namespace: string; superseded: boolean; from?: Slot; to?: Slot; app?: string };

/**
 * A rollback inside a switch window: the Services select the previous slot again, which is still
 * running its release. No Helm call and no pod start, so it takes a second or two; it refuses to
 * switch to a slot whose Deployments are not all ready, and the running record follows the switch
 * (the next upgrade renders the same selectors from the desired state).
 */
export function rollbackSteps(deps: OperationDeps, jobId: string, payload: ConvergeJob, result: Partial<RollbackResult>): Step[] {
  const { config, tenants, workloads } = deps;
  const job = { ...payload, ...tenantRef(config, payload.tenantId) };
  const t = config.timeouts;
  let tenant: TenantRecord | undefined;
  let target: Slot = FIRST_SLOT;

  return [
    {
      name: 'read-desired-state',
      timeoutSeconds: t.validate,
      async run({ signal }) {
        const found = await tenants.read(job.tenantId);
        tenant = found && !found.tenant.terminating ? found.tenant : undefined;
        Object.assign(result, { tenantId: job.tenantId, namespace: job.namespace, superseded: !tenant });
        if (!tenant) return `tenant ${job.tenantId} is gone or being removed; nothing to roll back`;
        await tenants.ensureAccess(job.tenantId, signal);
        await recordMarker(tenants, job.tenantId, { type: 'rollback', jobId, state: 'active', at: new Date().toISOString() });
        target = tenant.desired.slot ?? FIRST_SLOT;
        Object.assign(result, { from: servingSlot(tenant), to: target });
        return `the Services are to select ${target} (serving: ${servingSlot(tenant)})`;
      },
    },
    {
      name: 'check-slot-ready',
      timeoutSeconds: t.defaultStep,
      mutates: false,
      async run({ signal }) {
        if (!tenant) return 'skipped';
        const names = tenantObjectNames(job.tenantId, target);
        const found = await Promise.all([names.api, names.web].map((name) => workloads.readDeployment(job.namespace, name, signal)));
        for (const [index, deployment] of found.entries()) {
          const observed = deploymentReadiness(deployment);
          const replicas = deployment?.spec?.replicas ?? 0;
          if (!observed.done || replicas === 0) {
            const reason = observed.done ? 'scaled to 0' : observed.reason;
            throw new PermanentError(`slot ${target} cannot take traffic: ${[names.api, names.web][index]} ${reason}`);
          }
        }
        return `slot ${target} ready: API and Web at their replicas`;
      },
    },
    {
      name: 'switch-services',
      timeoutSeconds: t.defaultStep,
      async run({ signal }) {
        if (!tenant) return 'skipped';
        await switchServicesTo(deps, job, target, signal);
        const built = tenantChartValues(config, tenant, tenant.desired);
        if (tenant.running) {
          const running = switchedRunningVersion(
            tenant.running,
            { desired: tenant.desired, ...built, database: servingDatabase(tenant) },
            deps.now?.() ?? new Date(),
          );
          await recordRunningVersion(tenants, job.tenantId, running);
          result.app = running.app;
        }
        return `the Services select ${target}; no Helm upgrade, no pod started`;
      },
    },
    {
      name: 'record-result',
      timeoutSeconds: t.defaultStep,
      async run() {
        if (!tenant) return `superseded: tenant ${job.tenantId} is gone or being removed`;
        await recordMarker(tenants, job.tenantId, { type: 'rollback', jobId, state: 'completed', at: new Date().toISOString() });
        return `${job.tenantId} rolled back to ${target}${result.app ? ` (${result.app})` : ''}`;
      },
    },
  ];
}
