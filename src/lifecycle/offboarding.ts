import { createHash } from 'node:crypto';
import type { Config } from '../config/config.schema.ts';
import { TenantConflictError } from '../domain/errors.ts';
import type { ClosedAccount } from '../domain/closed-account.ts';
import type { DesiredState, TenantRecord } from '../domain/tenant-record.ts';

/**
 * Safe offboarding. A deprovision closes the account instead of deleting it:
 * 1. the application goes to zero and its hosts to the closed page (platform.closedPage), the
 *    database still running, so nothing writes while
 * 2. a final backup is taken and followed to `completed` (a tier with backups; a failure stops here,
 *    closed, and says so: nothing is purged without it);
 * 3. the database is hibernated, the namespace with its Secrets and volumes kept for the tier's
 *    retention window (offboarding.retentionSeconds), during which an undelete reopens it as it was;
 * 4. the expiry sweep purges it once the window passed. A window of 0 purges in the deprovision itself.
 * A purge with `force` removes a tenant at once, without any of this; billing never asks for it.
 */

/** The desired state of a closed account: asleep, with its hosts on the closed page until `purgeAfter`. */
export function closedDesired(config: Pick<Config, 'tiers'>, tenant: TenantRecord, now: Date): DesiredState {
  const { desired, operation } = tenant;
  if (desired.closed && operation?.type === 'deprovision' && operation.state === 'completed') {
    throw new TenantConflictError(
      tenant.tenantId,
      'closed',
      `Tenant ${tenant.tenantId} is closed already (kept until ${desired.closed.purgeAfter}): undelete it, or purge it now with force`,
    );
  }
  // A close asked again (its final backup failed) keeps the window it was given.
  const retention = retentionSecondsOf(config, tenant);
  const closed = desired.closed ?? {
    at: now.toISOString(),
    purgeAfter: new Date(now.getTime() + retention * 1000).toISOString(),
    hibernated: desired.hibernated,
  };
  return { ...desired, hibernated: true, closed };
}

/** A closed account reopened: as it was before it closed, asleep only if it slept then. */
export function reopenedDesired(tenant: TenantRecord): DesiredState {
  const { closed, ...open } = tenant.desired;
  return { ...open, hibernated: closed?.hibernated ?? tenant.desired.hibernated };
}

/** Whether a closed account's retention window has passed; false for an open one. */
export const windowPassed = (closed: ClosedAccount | undefined, now: Date): boolean => closed !== undefined && Date.parse(closed.purgeAfter) <= now.getTime();

/** A closed account whose close completed (its final backup among it) and whose window has passed. */
export function purgeDue(tenant: Pick<TenantRecord, 'desired' | 'operation'>, now: Date): boolean {
  const op = tenant.operation;
  return windowPassed(tenant.desired.closed, now) && op?.type === 'deprovision' && op.state === 'completed';
}

/** The window a close keeps the account for; 0: purged by the deprovision itself. */
export const retentionSecondsOf = (config: Pick<Config, 'tiers'>, tenant: Pick<TenantRecord, 'desired'>) =>
  config.tiers[tenant.desired.tier].offboarding.retentionSeconds;

/** The final backup's name, the same for every attempt of one deprovision job (a retry finds it). */
export function finalBackupName(tenantId: string, jobId: string): string {
  return `${tenantId}-final-${createHash('sha256').update(jobId).digest('hex').slice(0, 10)}`;
}

/** The expiry sweep's job id for a due purge: one per closed account and window, however many sweeps see it. */
export const purgeJobId = (tenant: Pick<TenantRecord, 'tenantId' | 'desired'>) =>
  `purge-${tenant.tenantId}-${Date.parse(tenant.desired.closed?.purgeAfter ?? '0')}`;
