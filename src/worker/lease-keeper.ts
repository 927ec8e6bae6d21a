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
  /** Aborts only when the lease is lost (not on cancellation): bounds work that must finish under the lease. */
  lost: AbortSignal;
  /** Throws LeaseLostError unless the lease is still the tenant's current one; the step runner's guard. */
  assertHeld(): Promise<void>;
  /**
   * Synchronous and local: not lost, and now is before the time the holder must give the lease up.
   * For checks that cannot wait for Redis (the API fence asks it on every chunk). It may answer true
   * for a lease another holder took that the keeper has not yet heard of, never after Redis could
   * have let another holder in.
   */
  heldNow(): boolean;
  /** Stops renewing. Call it only once nothing of the job runs any more (Helm children included). */
  stop(): void;
};

export type KeepLeaseOptions = {
  /** How long before the lease could expire in Redis the holder gives it up (default a fifth of the TTL). */
  marginMs?: number;
};

/**
 * Renews the lease at a third of its TTL while the job runs. A renewal refused by Redis means a
 * later token took over: the job is aborted at once (Helm gets SIGTERM and marks its release
 * failed, which the next holder recovers). Renewals that error or hang (Redis failing over) are
 * retried, each without waiting for the last; the lease is given up at the send time of the last
 * successful acquire or renewal + TTL − margin. Redis set that expiry no earlier than the command
 * was sent, so the job stops before another worker can legitimately take the tenant, not after.
 * Renewals go on after the abort until `stop()`, so a cancelled Helm child winding down keeps the
 * tenant while Redis allows (the renewal only extends a lease that is still this token's).
 */
export function keepLease(leases: TenantLeases, lease: Lease, parent: AbortSignal, logger: Logger, options: KeepLeaseOptions = {}): LeaseKeeper {
  const ttlMs = leases.ttlMs;
  const marginMs = Math.min(options.marginMs ?? Math.floor(ttlMs / 5), ttlMs);
  const lost = new AbortController();
  const signal = AbortSignal.any([parent, lost.signal]);
  let validUntil = lease.acquiredAt + ttlMs - marginMs;
  let superseded = false;
  let inFlight = 0;
  // One line per run of failed renewals, not one per retry (three a TTL while Redis is away).
  let failing = false;
  const lose = (reason: string) => {
    if (!lost.signal.aborted) lost.abort(new LeaseLostError(lease.tenantId, reason));
  };
  const expired = () => lose(`not renewed within its TTL less a ${marginMs} ms margin`);

  let deadline: NodeJS.Timeout | undefined;
  const scheduleDeadline = () => {
    clearTimeout(deadline);
    deadline = setTimeout(expired, Math.max(0, validUntil - Date.now()));
    deadline.unref();
  };
  scheduleDeadline();

  const renew = () => {
    const sentAt = Date.now();
    inFlight++;
    leases
      .renew(lease)
      .then(
        (held) => {
          failing = false;
          if (!held) {
            superseded = true;
            lose(`token ${lease.token} is no longer current`);
          } else if (sentAt + ttlMs - marginMs > validUntil) {
            // Answers may arrive out of order; a later send time is always a safe base.
            validUntil = sentAt + ttlMs - marginMs;
            if (!lost.signal.aborted) scheduleDeadline();
          }
        },
        (error: unknown) => {
          if (!failing) logger.warn({ err: error, tenantId: lease.tenantId }, 'could not renew the tenant lease; retrying until it expires');
          failing = true;
        },
      )
      .finally(() => inFlight--);
  };

  // A hung renewal does not hold up the next one; a few at most are outstanding at once.
  const timer = setInterval(
    () => {
      if (!superseded && inFlight < 3) renew();
    },
    Math.max(50, Math.floor(ttlMs / 3)),
  );
  timer.unref();

  return {
    signal,
    lost: lost.signal,
    async assertHeld() {
      if (Date.now() >= validUntil) expired();
      if (lost.signal.aborted) throw lost.signal.reason;
      if (!(await leases.isHeld(lease))) {
        superseded = true;
        lose(`token ${lease.token} is no longer current`);
      }
      if (Date.now() >= validUntil) expired();
      if (lost.signal.aborted) throw lost.signal.reason;
    },
    // Read from the clock, not from the deadline timer: a stalled event loop runs the timer late.
    heldNow: () => !lost.signal.aborted && Date.now() < validUntil,
    stop: () => {
      clearInterval(timer);
      clearTimeout(deadline);
    },
  };
}
