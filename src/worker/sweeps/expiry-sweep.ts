import type { Logger } from 'pino';
import { expiryAction, expiryJobId, type ExpiryAction } from '../../lifecycle/expiry.ts';
import { TenantConflictError, TenantNotFoundError } from '../../domain/errors.ts';
import { IntentLapsedError } from '../../lifecycle/errors.ts';
import { requestDeprovision, requestHibernate, requestPurge, type LifecycleDeps } from '../../lifecycle/intake.ts';
import { purgeDue, purgeJobId } from '../../lifecycle/offboarding.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';

export type ExpiryDeps = LifecycleDeps & { logger: Logger };
export type ExpiryReport = { hibernate: string[]; deprovision: string[]; purge: string[] };

/**
 * The expiry sweep: every managed tenant past its expiry gets the configured policy applied, once,
 * and every closed account past its retention window is purged.
 * The listing only nominates tenants; the intake decides again on the tenant as it is when the
 * request is recorded (a tenant that paid since the listing is left alone).
 */
export async function sweepExpired(deps: ExpiryDeps): Promise<ExpiryReport> {
  const now = deps.now?.() ?? new Date();
  const report: ExpiryReport = { hibernate: [], deprovision: [], purge: [] };
  for await (const tenant of deps.tenants.all()) {
    if (purgeDue(tenant, now)) {
      await purgeClosed(deps, tenant, report);
      continue;
    }
    const action = expiryAction(deps.config, tenant, now);
    if (!action) continue;
    const options = { jobId: expiryJobId(action, tenant), reason: 'expiry' as const };
    try {
      const request = action === 'hibernate' ? requestHibernate : requestDeprovision;
      const accepted = await request(deps, tenant.tenantId, options);
      if (!accepted.replayed) report[action satisfies ExpiryAction].push(tenant.tenantId);
    } catch (error) {
      // Gone, being removed, or no longer expired since the listing: nothing left to expire.
      if (error instanceof TenantNotFoundError || error instanceof TenantConflictError || error instanceof IntentLapsedError) continue;
      deps.logger.warn({ err: error, tenantId: tenant.tenantId }, 'expiry: tenant skipped');
    }
  }
  if (report.hibernate.length + report.deprovision.length + report.purge.length > 0) deps.logger.info(report, 'expiry sweep acted');
  return report;
}

/** A closed account past its retention window is purged, decided again by the intake (an undelete since wins). */
async function purgeClosed(deps: ExpiryDeps, tenant: TenantRecord, report: ExpiryReport): Promise<void> {
  try {
    const accepted = await requestPurge(deps, tenant.tenantId, { jobId: purgeJobId(tenant), reason: 'retention' });
    if (!accepted.replayed) report.purge.push(tenant.tenantId);
  } catch (error) {
    if (error instanceof TenantNotFoundError || error instanceof TenantConflictError || error instanceof IntentLapsedError) return;
    deps.logger.warn({ err: error, tenantId: tenant.tenantId }, 'retention: tenant skipped');
  }
}
