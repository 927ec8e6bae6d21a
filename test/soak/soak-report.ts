import type { InvariantCheck } from './invariants/index.ts';
import type { Ledger } from './ledger.ts';

export type JobEnd = { jobId: string; endedAt: number; outcome: 'completed' | 'failed' };

export type SoakReport = {
  seed: number;
  minutes: number;
  startedAt: string;
  driveMs: number;
  settleMs: number;
  operations: { accepted: number; byOperation: Record<string, number>; ambiguous: number; statuses: Record<string, number>; networkErrors: number };
  jobs: { completed: number; failed: number; unfinished: number };
  sse: Ledger['sse'];
  readers: Ledger['readers'];
  rollouts: Ledger['rollouts'];
  /** On-demand backups accepted (202) and refused (409); how they ended is the `backups-ended` check. */
  backups: { accepted: number; refused: number };
  restores: { accepted: number; refused: number };
  /** Exports accepted (202), refused (409), and how many dumps the soak put at their Job's key. */
  exports: { accepted: number; refused: number; uploaded: number };
  clones: Ledger['clones'];
  faults: Record<string, number>;
  redisFailovers: number;
  /**
   * Failovers no kill caused: the sentinels' own, after a primary stalled past their down-after
   * time. Writes the old primary acknowledged after its replica's last acknowledgement are lost
   * with it; an sse-history violation beside one of these is that loss.
   */
  unplannedFailovers: Array<{ atMs: number; from: number; to: number }>;
  longest503Ms: number;
  unavailableWindows: number;
  /** The longest 503 window each kind of fault caused ('none': no fault was under way). */
  longest503MsByFault: Record<string, number>;
  faultToConvergenceMs: { samples: number; p50: number | null; p99: number | null; max: number | null };
  invariants: Record<string, { ran: number; violations: number; detail: string }>;
  violations: Ledger['violations'];
  /** Every fault and every 503 window, in ms since the drive started, for the timeline. */
  timeline: {
    faults: Array<{ atMs: number; kind: string; detail: string; recoveredMs: number }>;
    unavailable: Array<{ api: number; fromMs: number; ms: number }>;
  };
  passed: boolean;
  rerun: string;
};

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : null);
const countBy = <T>(xs: T[], key: (x: T) => string) => xs.reduce<Record<string, number>>((acc, x) => ((acc[key(x)] = (acc[key(x)] ?? 0) + 1), acc), {});

/**
 * Time from a fault to convergence: the work that was in flight when the fault struck (accepted
 * before it, ended after it) has all ended. A fault that struck while nothing was in flight has
 * nothing to converge and gives no sample.
 */
export function faultToConvergence(ledger: Ledger, ends: Map<string, JobEnd>): number[] {
  const samples: number[] = [];
  for (const fault of ledger.faults) {
    const inFlight = ledger.accepted.filter((a) => a.jobId && a.at < fault.at && (ends.get(a.jobId)?.endedAt ?? Infinity) > fault.at);
    if (inFlight.length === 0) continue;
    const last = Math.max(...inFlight.map((a) => ends.get(a.jobId!)?.endedAt ?? Infinity));
    if (Number.isFinite(last)) {
      fault.convergedAt = last;
      samples.push(last - fault.at);
    }
  }
  return samples.sort((a, b) => a - b);
}

/**
 * A 503 window belongs to the latest fault injected before it opened, if that fault was still under
 * way (from its start to 10 s after the fleet was whole again); otherwise to none.
 */
function longestByFault(ledger: Ledger): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of ledger.unavailable) {
    const latest = ledger.faults.findLast((f) => f.at <= w.from);
    const cause = latest && w.from <= latest.recoveredAt + 10_000 ? latest.kind : 'none';
    out[cause] = Math.max(out[cause] ?? 0, w.to - w.from);
  }
  return out;
}

/** Each invariant with what it covered and how often it was broken (the drivers' own checks beside the final ones). */
function invariantTable(ledger: Ledger, checks: InvariantCheck[]): SoakReport['invariants'] {
  const requests = [...ledger.statuses.values()].reduce((a, b) => a + b, 0);
  const all: InvariantCheck[] = [
    ...checks,
    { name: 'no-500', ran: requests, detail: `${requests} answers, none a 5xx other than 503` },
    { name: 'reader-answer', ran: ledger.readers.requests, detail: 'every read answered as its kind must be (or 503 in a failover)' },
  ];
  const broken = (name: string) =>
    ledger.violations.filter((v) => v.invariant === name || (name === 'sse-no-gap-or-repeat' && v.invariant.startsWith('sse-'))).length;
  return Object.fromEntries(all.map((c) => [c.name, { ran: c.ran, violations: broken(c.name), detail: c.detail }]));
}

/**
 * Whether a kill caused this failover: one of the primary it names as old, from the kill until a
 * while after the fleet was whole again (the sentinel listened to may learn of it after the one
 * the harness asked).
 */
function killCaused(ledger: Ledger, w: { at: number; from: number }): boolean {
  return ledger.faults.some(
    (f) => f.kind === 'kill-redis-primary' && f.detail.startsWith(`primary ${w.from} killed`) && w.at >= f.at && w.at <= f.recoveredAt + 10_000,
  );
}

export function soakReport(o: {
  seed: number;
  minutes: number;
  startedAt: number;
  driveMs: number;
  settleMs: number;
  ledger: Ledger;
  ends: Map<string, JobEnd>;
  checks: InvariantCheck[];
  /** The sentinels' `+switch-master` announcements over the run. */
  switches: Array<{ at: number; from: number; to: number }>;
}): SoakReport {
  const { ledger, ends } = o;
  const convergence = faultToConvergence(ledger, ends);
  const jobIds = new Set(ledger.accepted.flatMap((a) => (a.jobId ? [a.jobId] : [])));
  const outcomes = [...jobIds].map((id) => ends.get(id)?.outcome ?? 'unfinished');
  const windows = ledger.unavailable.map((w) => w.to - w.from);
  return {
    seed: o.seed,
    minutes: o.minutes,
    startedAt: new Date(o.startedAt).toISOString(),
    driveMs: o.driveMs,
    settleMs: o.settleMs,
    operations: {
      accepted: ledger.accepted.length,
      byOperation: countBy(ledger.accepted, (a) => a.operation),
      ambiguous: ledger.accepted.filter((a) => a.ambiguous).length,
      statuses: Object.fromEntries([...ledger.statuses].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v])),
      networkErrors: ledger.networkErrors,
    },
    jobs: {
      completed: outcomes.filter((x) => x === 'completed').length,
      failed: outcomes.filter((x) => x === 'failed').length,
      unfinished: outcomes.filter((x) => x === 'unfinished').length,
    },
    sse: ledger.sse,
    readers: ledger.readers,
    rollouts: ledger.rollouts,
    backups: { accepted: ledger.backups.accepted.length, refused: ledger.backups.refused },
    restores: { accepted: ledger.restores.accepted.length, refused: ledger.restores.refused },
    exports: { accepted: ledger.exports.accepted.length, refused: ledger.exports.refused, uploaded: ledger.exports.uploaded },
    clones: ledger.clones,
    faults: countBy(ledger.faults, (f) => f.kind),
    redisFailovers: ledger.faults.filter((f) => f.kind === 'kill-redis-primary').length,
    unplannedFailovers: o.switches.filter((w) => !killCaused(ledger, w)).map((w) => ({ atMs: w.at - o.startedAt, from: w.from, to: w.to })),
    longest503Ms: windows.length ? Math.max(...windows) : 0,
    unavailableWindows: windows.length,
    longest503MsByFault: longestByFault(ledger),
    faultToConvergenceMs: { samples: convergence.length, p50: quantile(convergence, 0.5), p99: quantile(convergence, 0.99), max: convergence.at(-1) ?? null },
    invariants: invariantTable(ledger, o.checks),
    violations: ledger.violations,
    timeline: {
      faults: ledger.faults.map((f) => ({ atMs: f.at - o.startedAt, kind: f.kind, detail: f.detail, recoveredMs: f.recoveredAt - f.at })),
      unavailable: ledger.unavailable.map((w) => ({ api: w.api, fromMs: w.from - o.startedAt, ms: w.to - w.from })),
    },
    passed: ledger.violations.length === 0,
    rerun: `npm run soak -- --minutes ${o.minutes} --seed ${o.seed}`,
  };
}
