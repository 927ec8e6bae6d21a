import { servingDatabase } from '../../domain/database-generation.ts';
import { FIRST_SLOT } from '../../domain/slots.ts';
import type { BackupJob } from '../../jobs/job-catalog.ts';
import { createTenantBackups, type BackupSummary } from '../../kubernetes/tenant-backups.ts';
import { PermanentError } from '../../worker/failure.ts';
import type { Step } from '../../worker/step-runner.ts';
import { tenantRef } from '../tenant-ref.ts';
import { tenantChartValues } from '../tenant-values.ts';
import { tenantObjectNames, type OperationDeps } from './plan-deps.ts';

export type BackupResult = { tenantId: string; namespace: string; backup: BackupSummary };

/**
 * An on-demand backup: a CloudNativePG `Backup` through the Barman Cloud plugin, followed to its end
 * by watch. It runs beside the tenant's other operations (no lease: it changes neither the release
 * nor the record), and a retried job finds the Backup it created by name instead of taking another.
 */
export function backupSteps(deps: OperationDeps, payload: BackupJob, result: Partial<BackupResult>): Step[] {
  const { config, tenants } = deps;
  const job = { ...payload, ...tenantRef(config, payload.tenantId) };
  const backups = createTenantBackups(deps.kube);
  // The database the application uses, as the tenant says when the job starts (a restore moves it).
  let database = tenantObjectNames(job.tenantId, FIRST_SLOT).database;
  const t = config.timeouts;

  return [
    {
      name: 'check-tenant',
      timeoutSeconds: t.validate,
      mutates: false,
      async run() {
        const tenant = await tenants.get(job.tenantId);
        if (!tenant || tenant.terminating) throw new PermanentError(`tenant ${job.tenantId} is gone or being removed`);
        const values = tenantChartValues(
          config,
          { tenantId: tenant.tenantId, companyName: tenant.companyName, expiresAt: tenant.expiresAt },
          tenant.desired,
        ).values;
        if (!values.backup.enabled) throw new PermanentError(`tier ${tenant.desired.tier} has no backups`);
        // A hibernated cluster has no instance to take the backup from; the operator would wait for ever.
        if (tenant.desired.hibernated) throw new PermanentError(`tenant ${job.tenantId} is hibernated: resume it first`);
        database = tenantObjectNames(job.tenantId, FIRST_SLOT, servingDatabase(tenant).generation).database;
        Object.assign(result, { tenantId: job.tenantId, namespace: job.namespace });
        return `database ${database} of tier ${tenant.desired.tier} backs up to its object store`;
      },
    },
    {
      name: 'request-backup',
      timeoutSeconds: t.defaultStep,
      async run({ signal }) {
        const created = await backups.create(
          { namespace: job.namespace, name: job.backupName, cluster: database, tenantId: job.tenantId, requestedBy: job.requestedBy },
          signal,
        );
        return created ? `Backup ${job.backupName} created` : `Backup ${job.backupName} exists (an earlier attempt made it)`;
      },
    },
    {
      name: 'wait-for-backup',
      timeoutSeconds: t.backup,
      mutates: false,
      async run({ signal, note }) {
        const backup = await backups.waitFinished(job.namespace, job.backupName, {
          timeoutMs: t.backup * 1000,
          signal,
          onChange: (r) => void note(r, 'debug'),
        });
        result.backup = backup;
        if (backup.phase === 'failed') throw new PermanentError(`backup ${backup.name} failed: ${backup.error ?? 'no reason given by the operator'}`);
        return `backup ${backup.name} completed${backup.backupId ? ` (${backup.backupId})` : ''}`;
      },
    },
  ];
}
