import { TenantConflictError, TenantNotFoundError } from '../domain/errors.ts';
import { stampedName } from '../domain/stamped-name.ts';
import type { BackupJob } from '../jobs/job-catalog.ts';
import type { IntakeDeps, LifecycleAccepted } from './intake.ts';
import { tenantRef } from './tenant-ref.ts';
import { tenantChartValues } from './tenant-values.ts';
import { intakeVerdict, refusal } from './transitions.ts';

/**
 * `POST /api/tenants/{tenantId}/backups`: an on-demand backup of the tenant's database. Refused
 * (409) for a tenant being removed, a tier without backups and a hibernated database, which has no
 * instance to back up. No intent is recorded on the tenant: a backup changes nothing the tenant's
 * record describes, runs beside its operations, and the job names the Backup object it creates, so
 * the object is the record. A job Redis loses is a backup not taken, which the caller sees failing.
 */
export async function requestBackup(deps: IntakeDeps, tenantId: string): Promise<LifecycleAccepted & { backupName: string }> {
  const found = await deps.tenants.read(tenantId);
  if (!found) throw new TenantNotFoundError(tenantId);
  const { tenant } = found;
  if (intakeVerdict(tenant, 'backup') !== 'accept') throw refusal(tenant, 'backup');
  const values = tenantChartValues(deps.config, { tenantId, companyName: tenant.companyName, expiresAt: tenant.expiresAt }, tenant.desired).values;
  if (!values.backup.enabled) throw new TenantConflictError(tenantId, 'no-backups', `Tier ${tenant.desired.tier} of tenant ${tenantId} has no backups`);
  if (tenant.desired.hibernated) {
    throw new TenantConflictError(tenantId, 'no-backups', `Tenant ${tenantId} is hibernated: its database has no instance to back up; resume it first`);
  }
  const now = deps.now?.() ?? new Date();
  const name = stampedName(tenantId, now);
  const { namespace, release } = tenantRef(deps.config, tenantId);
  const payload: BackupJob = { tenantId, namespace, release, requestedAt: now.toISOString(), backupName: name, requestedBy: 'api' };
  // The Backup's name is the job's id too: one job per backup, and its progress is found by either.
  const jobId = deps.newJobId?.() ?? `backup-${name}`;
  await deps.producer.enqueue('backup', payload, jobId);
  return { jobId, tenantId, namespace, operation: 'backup', state: 'queued', replayed: false, backupName: name };
}
