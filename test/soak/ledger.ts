import type { TierName } from '../../src/domain/tiers.ts';

/** What a client was promised: the state a tenant must reach because a request for it was accepted. */
/** `app`: the app version promised by a release or a rollback; absent until one was accepted (the configured one). */
/** `closed`: removed with a window (the tier keeps closed accounts); `purgeAfter`, the earliest the window can end (ms). */
export type Intent =
  | { kind: 'present'; tier: TierName; hibernated: boolean; app?: string | undefined }
  | { kind: 'closed'; purgeAfter: number }
  | { kind: 'removed' };

export type Accepted = {
  at: number;
  tenantId: string;
  /** The route's operation, or 'stripe' for a webhook the service took (200). */
  operation: 'provision' | 'update' | 'release' | 'rollback' | 'hibernate' | 'resume' | 'deprovision' | 'undelete' | 'purge' | 'stripe';
  jobId: string | null;
  intent: Intent;
  /** Which API process answered (index into the fleet's APIs), -1 for none. */
  via: number;
  /**
   * The client cannot tell whether it was taken (every attempt lost its answer, or a retry after a
   * lost answer was refused as a conflict): the final check accepts this intent or the one before it.
   */
  ambiguous?: boolean;
};

export type Violation = { at: number; invariant: string; detail: string };

/**
 * Everything the drivers saw and the checks found, in one place, so the report and the final
 * checks read one record. Plain data: written by the soak's own process only.
 */
export class Ledger {
  readonly accepted: Accepted[] = [];
  readonly violations: Violation[] = [];
  /** Answers by status code, over every request the drivers sent. */
  readonly statuses = new Map<number, number>();
  /** Client-side errors (connection refused/reset) that the client retried. */
  networkErrors = 0;
  /**
   * SSE: follows started, resumes after a disconnect, events received; follows compared with the
   * job's whole stream at the end (checked), and left before the job finished (abandoned).
   */
  sse = { follows: 0, resumes: 0, events: 0, checked: 0, abandoned: 0, lostWithFailover: 0 };
  /**
   * Events a client was sent that the job's history no longer holds. Redis replicates
   * asynchronously: a failover drops what the old primary acknowledged after its replica's last
   * acknowledgement. Ids written shortly before a failover the sentinels announced are that loss
   * (`sse.lostWithFailover`); any other is an `sse-history` violation (`judgeForgottenEvents`).
   */
  readonly sseForgotten: Array<{ jobId: string; ids: string[] }> = [];
  /** Reads of the admin page (session cookie) and the API (tenants, status, jobs). */
  readers = { requests: 0, admin: 0, api: 0 };
  /**
   * On-demand backups: they record no intent on the tenant, so they are kept apart from `accepted`;
   * each accepted one must end, completed or failed with a reason. `refused`: 409s (a tier without
   * backups, a hibernated database), normal refusals.
   */
  backups = { accepted: [] as Array<{ tenantId: string; jobId: string }>, refused: 0 };
  /** Restores of a completed backup: like backups, kept apart from `accepted` (they change no tier or state the ledger follows). */
  restores = { accepted: [] as Array<{ tenantId: string; jobId: string }>, refused: 0 };
  /** Exports (open or closed accounts): like backups, kept apart from `accepted`; `uploaded`: dumps put at their Job's key. */
  exports = { accepted: [] as Array<{ tenantId: string; jobId: string }>, refused: 0, uploaded: 0 };
  /** Provisions that cloned a tenant that had taken a backup (cloneFrom): accepted ones are also provisions in `accepted`; `refused`: 422s (the source gone, or no completed backup of its serving database). */
  clones = { accepted: 0, refused: 0 };
  /** Rollouts the rollout driver started, by how each ended (or `running`/`paused` when the drive stopped it). */
  rollouts = { started: 0, paused: 0, aborted: 0, ends: {} as Record<string, number> };
  /** Windows during which an API answered 503, per API index: [start, end] in ms since epoch. */
  readonly unavailable: Array<{ api: number; from: number; to: number }> = [];
  /** Demo tenants whose expiry the clock driver moved to the present (a fast clock): tenant → when. */
  readonly expired = new Map<string, number>();
  /** Clock moves that could not be written (the API server away). */
  clockMisses = 0;
  /** Faults injected: kind → count, and each fault's time for convergence figures. */
  readonly faults: Array<{ at: number; kind: string; detail: string; recoveredAt: number; convergedAt?: number }> = [];

  accept(a: Accepted) {
    this.accepted.push(a);
  }
  status(code: number) {
    this.statuses.set(code, (this.statuses.get(code) ?? 0) + 1);
  }
  violate(invariant: string, detail: string) {
    this.violations.push({ at: Date.now(), invariant, detail });
  }
  /** The latest accepted intent for each tenant. */
  latestIntents(): Map<string, Accepted> {
    const latest = new Map<string, Accepted>();
    for (const a of this.accepted) {
      const prior = latest.get(a.tenantId);
      if (!prior || prior.at <= a.at) latest.set(a.tenantId, a);
    }
    return latest;
  }
}

/** How long before a failover an acknowledged write may still be lost with it: the replica's lag, which a stalled replica stretches. */
export const FAILOVER_LOSS_WINDOW_MS = 15_000;

/** Sorts `ledger.sseForgotten` into losses a failover explains and `sse-history` violations. */
export function judgeForgottenEvents(ledger: Ledger, switches: ReadonlyArray<{ at: number }>): void {
  const writtenAt = (id: string) => Number(id.split('-')[0]);
  const beforeFailover = (id: string) => switches.some((s) => writtenAt(id) <= s.at && writtenAt(id) >= s.at - FAILOVER_LOSS_WINDOW_MS);
  for (const { jobId, ids } of ledger.sseForgotten) {
    if (ids.every(beforeFailover)) ledger.sse.lostWithFailover += ids.length;
    else ledger.violate('sse-history', `job ${jobId}: ${ids.join(', ')} seen but not in the full stream, and no failover followed them`);
  }
}
