import { createHash } from 'node:crypto';
import type { Config } from '../config/config.schema.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import { ownTenant } from './tenant-ref.ts';

export type ExpiryAction = 'hibernate' | 'deprovision';
type ExpiryConfig = Pick<Config, 'platform' | 'provisioning'>;

/**
 * What the policy demands of `tenant` at `now` from its expiry alone, ignoring what is already
 * under way. Pure. Expiry is measured from the expires-at stamped at provision, never from when a
 * sweep first noticed it, so a slow or missed sweep never extends a demo; the grace period for
 * removal counts from the same instant. The intake evaluates this again inside the conditional
 * write that records an expiry request, and the removal job before each destructive call, so a
 * tenant that paid after a sweep listed it is never hibernated or removed for having expired.
 */
function expiryDue(
  config: ExpiryConfig,
  tenant: Pick<TenantRecord, 'expiresAt' | 'terminating' | 'tenantId' | 'namespace'>,
  now: Date,
): ExpiryAction | undefined {
  const { policy, deprovisionAfterSeconds } = config.provisioning.expiry;
  if (policy === 'none' || !tenant.expiresAt || tenant.terminating || !ownTenant(config, tenant)) return undefined;
  const expired = Date.parse(tenant.expiresAt);
  if (!(expired <= now.getTime())) return undefined;
  if (policy === 'deprovision') return 'deprovision';
  if (policy === 'hibernate-then-deprovision' && now.getTime() >= expired + deprovisionAfterSeconds * 1000) return 'deprovision';
  return 'hibernate';
}

/** Whether the expiry sweep should ask for `action` now: due, and not already done or under way. */
export function expiryAction(config: ExpiryConfig, tenant: TenantRecord, now: Date): ExpiryAction | undefined {
  const due = expiryDue(config, tenant, now);
  const op = tenant.operation;
  // A closed account is offboarding's: its window and purge, not its expiry, decide what follows.
  if (!due || tenant.desired.closed || ((op?.type === 'deprovision' || op?.type === 'purge') && op.state !== 'failed')) return undefined;
  if (due === 'hibernate' && tenant.desired.hibernated) return undefined;
  return due;
}

/** True while the expiry still demands `action` of the tenant (or more: removal covers hibernation). */
export function expiryStillDemands(config: ExpiryConfig, tenant: TenantRecord, action: ExpiryAction, now: Date): boolean {
  const due = expiryDue(config, tenant, now);
  return due === action || (action === 'hibernate' && due === 'deprovision');
}

/**
 * Job ids fixed by the state the sweep saw: two sweeps running at once compute the same id and
 * BullMQ keeps one job; a tenant resumed after its expiry gets a new id, so it is hibernated again;
 * a removal that failed gets a new id, so the next sweep tries again instead of finding the failed
 * job under the old id for as long as BullMQ keeps it.
 */
export function expiryJobId(action: ExpiryAction, tenant: TenantRecord): string {
  const op = tenant.operation;
  const failed = op && op.state === 'failed' ? op.jobId : '';
  const seen = action === 'deprovision' ? `${tenant.createdAt}${failed ? `|${failed}` : ''}` : JSON.stringify(tenant.operation);
  return `expiry-${action}-${tenant.tenantId}-${createHash('sha256').update(seen).digest('hex').slice(0, 16)}`;
}
