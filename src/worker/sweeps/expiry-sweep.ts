import type { Logger } from 'pino';
import { expiryAction, expiryJobId, type ExpiryAction } from '../../lifecycle/expiry.ts';
import { TenantConflictError, TenantNotFoundError } from '../../domain/errors.ts';
import { IntentLapsedError } from '../../lifecycle/errors.ts';
import { requestDeprovision, requestHibernate, type LifecycleDeps } from '../../lifecycle/intake.ts';

export type ExpiryDeps = LifecycleDeps & { logger: Logger };
export type ExpiryReport = { hibernate: string[]; deprovision: string[] };

/**
 * The expiry sweep: every managed tenant past its expiry gets the configured policy applied, once.
 * The listing only nominates tenants; the intake decides again on the tenant as it is when the
 * request is recorded (a tenant that paid since the listing is left alone).
 */
export async function sweepExpired(deps: ExpiryDeps): Promise<ExpiryReport> {
  const now = deps.now?.() ?? new Date();
  const report: ExpiryReport = { hibernate: [], deprovision: [] };
  for await (const tenant of deps.tenants.all()) {
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
  if (report.hibernate.length + report.deprovision.length > 0) deps.logger.info(report, 'expiry sweep acted');
  return report;
}
