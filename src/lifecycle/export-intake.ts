import { TenantConflictError, TenantNotFoundError } from '../domain/errors.ts';
import { stampedName } from '../domain/stamped-name.ts';
import type { ExportJob } from '../jobs/job-catalog.ts';
import { chartLacks } from './chart-features.ts';
import type { IntakeDeps, LifecycleAccepted } from './intake.ts';
import { tenantRef } from './tenant-ref.ts';
import { tenantChartValues } from './tenant-values.ts';
import { intakeVerdict, refusal } from './transitions.ts';

/**
 * `POST /api/tenants/{tenantId}/exports`: a `pg_dump` of the tenant's database into its prefix of the
 * backup store (export.plan.ts), downloaded later through a short-lived URL. Accepted for an open
 * tenant whose database runs and for a closed account within its window (the customer's data on
 * the way out; its database is woken for the dump). Refused (409) for a tenant being removed, a
 * tier without a backup store, a store other than S3, a hibernated tenant (resume it first), and a
 * tenant on a chart older than the export's NetworkPolicy (chart-features.ts).
 * No intent is recorded: the export's id names its Job and its file, which are the record.
 */
export async function requestExport(deps: IntakeDeps, tenantId: string): Promise<LifecycleAccepted & { exportId: string }> {
  const found = await deps.tenants.read(tenantId);
  if (!found) throw new TenantNotFoundError(tenantId);
  const { tenant } = found;
  if (intakeVerdict(tenant, 'export') !== 'accept') throw refusal(tenant, 'export');
  const values = tenantChartValues(deps.config, { tenantId, companyName: tenant.companyName, expiresAt: tenant.expiresAt }, tenant.desired).values;
  const refuse = (why: string) => new TenantConflictError(tenantId, 'no-exports', `Tenant ${tenantId} cannot be exported: ${why}`);
  if (!values.backup.enabled) throw refuse(`tier ${tenant.desired.tier} has no backup store, where exports are written`);
  const { provider } = deps.config.platform.backup;
  if (provider !== 's3') throw refuse(`exports are written to S3 stores only, and the backup store is ${provider}`);
  if (tenant.desired.hibernated && !tenant.desired.closed) throw refuse('it is hibernated; resume it first');
  const old = chartLacks('export', tenant.running);
  if (old) throw refuse(old);
  const now = deps.now?.() ?? new Date();
  const exportId = stampedName(tenantId, now);
  const { namespace, release } = tenantRef(deps.config, tenantId);
  const payload: ExportJob = { tenantId, namespace, release, requestedAt: now.toISOString(), exportId };
  const jobId = deps.newJobId?.() ?? `export-${exportId}`;
  await deps.producer.enqueue('export', payload, jobId);
  return { jobId, tenantId, namespace, operation: 'export', state: 'queued', replayed: false, exportId };
}
