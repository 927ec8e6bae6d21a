import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import { TenantConflictError, TenantNotFoundError } from '../../lifecycle/errors.ts';
import { requestDeprovision, requestHibernate, type LifecycleDeps } from '../../lifecycle/intake.ts';
import { ownTenant } from './own-tenant.ts';

export type ExpiryDeps = LifecycleDeps & { logger: Logger };
export type ExpiryAction = 'hibernate' | 'deprovision';
export type ExpiryReport = { hibernate: string[]; deprovision: string[] };

const PAGE = 200;

/**
 * What the policy does to `tenant` at `now`, or nothing. Pure. Expiry is measured from the
 * expires-at stamped at provision, never from when a sweep first noticed it, so a slow or missed
 * sweep never extends a demo; the grace period for removal counts from the same instant.
 */
export function expiryAction(config: LifecycleDeps['config'], tenant: TenantRecord, now: Date): ExpiryAction | undefined {
  const { policy, deprovisionAfterSeconds } = config.provisioning.expiry;
  if (policy === 'none' || !tenant.expiresAt || tenant.terminating || !ownTenant(config, tenant)) return undefined;
  const expired = Date.parse(tenant.expiresAt);
  if (!(expired <= now.getTime())) return undefined;
  const op = tenant.operation;
  if (op?.type === 'deprovision' && op.state !== 'failed') return undefined;
  if (policy === 'deprovision') return 'deprovision';
  if (policy === 'hibernate-then-deprovision' && now.getTime() >= expired + deprovisionAfterSeconds * 1000) return 'deprovision';
  return tenant.desired.hibernated ? undefined : 'hibernate';
}

/**
 * Job ids fixed by the state the sweep saw: two sweeps running at once compute the same id and
 * BullMQ keeps one job; a tenant resumed after its expiry gets a new id, so it is hibernated again.
 */
export function expiryJobId(action: ExpiryAction, tenant: TenantRecord): string {
  const seen = action === 'deprovision' ? tenant.createdAt : JSON.stringify(tenant.operation);
  return `expiry-${action}-${tenant.tenantId}-${createHash('sha256').update(seen).digest('hex').slice(0, 16)}`;
}

/** The expiry sweep: every managed tenant past its expiry gets the configured policy applied, once. */
export async function sweepExpired(deps: ExpiryDeps): Promise<ExpiryReport> {
  const now = deps.now?.() ?? new Date();
  const report: ExpiryReport = { hibernate: [], deprovision: [] };
  let cursor: string | undefined;
  do {
    const page = await deps.registry.list({ limit: PAGE, continue: cursor });
    for (const tenant of page.items) {
      const action = expiryAction(deps.config, tenant, now);
      if (!action) continue;
      const options = { jobId: expiryJobId(action, tenant) };
      try {
        const accepted = action === 'hibernate' ? await requestHibernate(deps, tenant.tenantId, options) : await requestDeprovision(deps, tenant.tenantId, options);
        if (!accepted.replayed) report[action].push(tenant.tenantId);
      } catch (error) {
        // Gone or being removed since the listing: nothing left to expire.
        if (error instanceof TenantNotFoundError || error instanceof TenantConflictError) continue;
        deps.logger.warn({ err: error, tenantId: tenant.tenantId }, 'expiry: tenant skipped');
      }
    }
    cursor = page.continue;
  } while (cursor !== undefined);
  if (report.hibernate.length + report.deprovision.length > 0) deps.logger.info(report, 'expiry sweep acted');
  return report;
}
