import type { Logger } from 'pino';
import type { Lease, TenantLeases } from './tenant-lease.ts';

/** The job no longer holds its tenant: a later token took over, or the lease expired unrenewed. */
export class LeaseLostError extends Error {
  constructor(tenantId: string, reason: string) {
    super(`lease on tenant ${tenantId} lost (${reason}); another job may now hold it, so this one stops without mutating`);
    this.name = 'LeaseLostError';
  }
}

export type LeaseKeeper = {
  /** Aborts when the job is cancelled or the lease is lost; pass it to every step (and so to Helm). */
  signal: AbortSignal;
  /** Throws LeaseLostError unless the lease is still the tenant's current one; the step runner's guard. */
  assertHeld(): Promise<void>;
  stop(): void;
};

/**
 * Renews the lease at a third of its TTL while the job runs. A renewal refused by Redis means a
 * later token took over: the job is aborted at once (Helm gets SIGTERM and marks its release
 * failed, which the next holder recovers). Renewals that merely error (Redis restarting) are
 * retried; only once a whole TTL passed without a successful renewal is the lease given up,
 * because by then another worker may legitimately have taken it.
 */
export function keepLease(leases: TenantLeases, lease: Lease, parent: AbortSignal, logger: Logger): LeaseKeeper {
  const lost = new AbortController();
  const signal = AbortSignal.any([parent, lost.signal]);
  let renewedAt = Date.now();
  let renewing = false;
  const lose = (reason: string) => {
    if (!lost.signal.aborted) lost.abort(new LeaseLostError(lease.tenantId, reason));
  };

  const timer = setInterval(() => {
    if (renewing || lost.signal.aborted) return;
    renewing = true;
    leases.renew(lease).then(
      (held) => {
        if (held) renewedAt = Date.now();
        else lose(`token ${lease.token} is no longer current`);
      },
      (error: unknown) => {
        logger.warn({ err: error, tenantId: lease.tenantId }, 'could not renew the tenant lease; retrying');
        if (Date.now() - renewedAt > leases.ttlMs) lose('not renewed within its TTL');
      },
    ).finally(() => {
      renewing = false;
    });
  }, Math.max(50, Math.floor(leases.ttlMs / 3)));
  timer.unref();

  return {
    signal,
    async assertHeld() {
      if (lost.signal.aborted) throw lost.signal.reason;
      if (!(await leases.isHeld(lease))) {
        lose(`token ${lease.token} is no longer current`);
        throw lost.signal.reason;
      }
    },
    stop: () => clearInterval(timer),
  };
}
