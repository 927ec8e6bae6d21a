import type { Logger } from 'pino';
import { throttledErrorLog } from './error-log.ts';

/**
 * One per dependency (Redis, the Kubernetes API) and process, shared by every listener that can see
 * it fail: BullMQ workers' and queues' `error` events, ioredis connections, watches, sweeps. A
 * six-second Redis failover made one process write ~25,000 lines, one per failed retry; here an
 * outage is a state with a start, a summary at most every `summaryEveryMs` and an end.
 *
 * A failure is only a suspicion: the reporter checks the dependency itself (`probe`) and declares
 * an outage when the check fails too, then probes every `probeEveryMs` and declares the end when a
 * check passes. So a stray error (a script's own error, a request cancelled by its caller) starts
 * no outage, and a stale error arriving after the end does not start a second one.
 */
export interface OutageReporter {
  readonly dependency: string;
  /** A listener saw the dependency fail; `source` names the listener ('redis (worker)', 'operations worker'). */
  failure(source: string, error: unknown): void;
  /** Whether an outage is under way (confirmed by a failed check, until a check passes). */
  isDown(): boolean;
  status(): OutageStatus;
  /** An ioredis `retryStrategy`: the library's usual short delays, longer while an outage lasts. */
  retryDelayMs(attempt: number): number;
  /** Stops the probes and the summary timer (shutdown). */
  close(): void;
}

export type OutageStatus = { up: true } | { up: false; since: string; errors: number; firstError: string; lastError: string };

export type OutageReporterOptions = {
  dependency: string;
  logger: Logger;
  /** Checks the dependency end to end (a write for Redis): resolves when it works. Called at most once at a time. */
  probe: () => Promise<unknown>;
  /** Counts each failure (the `…_dependency_errors_total` counter). */
  onFailure?: (() => void) | undefined;
  /** Told of each change of state (the `…_dependency_up` gauge). */
  onChange?: ((up: boolean) => void) | undefined;
  summaryEveryMs?: number | undefined;
  probeEveryMs?: number | undefined;
  now?: (() => number) | undefined;
};

type Outage = { since: number; errors: number; lastSummaryErrors: number; first: string; last: string; sources: Set<string> };

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

export function createOutageReporter(options: OutageReporterOptions): OutageReporter {
  const { dependency, logger, probe } = options;
  const summaryEveryMs = options.summaryEveryMs ?? 30_000;
  const probeEveryMs = options.probeEveryMs ?? 1_000;
  const now = options.now ?? Date.now;
  // Errors that turn out not to be an outage are still worth a line, once per distinct message and window.
  const stray = throttledErrorLog(logger.child({ dependency }), `${dependency} error`, summaryEveryMs);
  let outage: Outage | undefined;
  // Failures seen while a check is running: an outage's first errors, or stray errors to log.
  let suspects: Array<{ source: string; error: unknown }> = [];
  let suspectCount = 0;
  let checking = false;
  let lastPassedAt = -Infinity;
  let closed = false;
  let probeTimer: NodeJS.Timeout | undefined;
  let summaryTimer: NodeJS.Timeout | undefined;

  const summary = () => {
    if (!outage) return;
    const o = outage;
    logger.warn(
      {
        dependency,
        forMs: now() - o.since,
        errors: o.errors,
        newErrors: o.errors - o.lastSummaryErrors,
        firstError: o.first,
        lastError: o.last,
        sources: [...o.sources],
      },
      `${dependency} still unavailable`,
    );
    o.lastSummaryErrors = o.errors;
  };

  const begin = (first: { source: string; error: unknown }, more: typeof suspects, count: number, probeError: unknown) => {
    const errors = [first, ...more];
    outage = {
      since: now(),
      errors: count,
      lastSummaryErrors: count,
      first: describe(first.error),
      last: describe(probeError),
      sources: new Set(errors.map((e) => e.source)),
    };
    logger.error(
      { dependency, firstError: outage.first, check: outage.last, sources: [...outage.sources] },
      `${dependency} unavailable: reporting a summary every ${Math.round(summaryEveryMs / 1000)} s until it is back`,
    );
    options.onChange?.(false);
    summaryTimer = setInterval(summary, summaryEveryMs);
    summaryTimer.unref();
    scheduleProbe();
  };

  const end = () => {
    if (!outage) return;
    const o = outage;
    outage = undefined;
    clearInterval(summaryTimer);
    logger.info(
      { dependency, durationMs: now() - o.since, errors: o.errors, firstError: o.first, lastError: o.last, sources: [...o.sources] },
      `${dependency} available again`,
    );
    options.onChange?.(true);
  };

  // One check at a time; its answer decides between an outage (or its continuation) and stray errors.
  const check = () => {
    if (checking || closed) return;
    checking = true;
    probe().then(
      () => {
        checking = false;
        lastPassedAt = now();
        const seen = suspects;
        suspects = [];
        suspectCount = 0;
        if (outage) end();
        else for (const s of seen) stray(s.error instanceof Error ? s.error : new Error(describe(s.error)));
      },
      (probeError: unknown) => {
        checking = false;
        const [first, ...more] = suspects;
        const count = suspectCount;
        suspects = [];
        suspectCount = 0;
        if (outage) {
          outage.last = describe(probeError);
          scheduleProbe();
        } else if (first && !closed) {
          begin(first, more, count, probeError);
        }
      },
    );
  };

  const schedule = (ms: number) => {
    if (closed) return;
    clearTimeout(probeTimer);
    probeTimer = setTimeout(() => {
      probeTimer = undefined;
      check();
    }, ms);
    probeTimer.unref();
  };
  const scheduleProbe = () => schedule(probeEveryMs);

  return {
    dependency,
    failure(source, error) {
      if (closed) return;
      options.onFailure?.();
      if (outage) {
        outage.errors++;
        outage.last = describe(error);
        outage.sources.add(source);
        return;
      }
      suspectCount++;
      // Enough to name the sources; the rest are counted.
      if (suspects.length < 100) suspects.push({ source, error });
      if (checking) return;
      // A check has just passed: the error was on its way before it, or is a stray one; the next check says which.
      const wait = lastPassedAt + probeEveryMs - now();
      if (wait > 0) {
        if (!probeTimer) schedule(wait);
        return;
      }
      check();
    },
    isDown: () => outage !== undefined,
    status: () =>
      outage
        ? { up: false, since: new Date(outage.since).toISOString(), errors: outage.errors, firstError: outage.first, lastError: outage.last }
        : { up: true },
    retryDelayMs: (attempt) => (outage ? probeEveryMs + Math.floor(Math.random() * probeEveryMs) : Math.min(attempt * 100, 2_000)),
    close() {
      closed = true;
      clearTimeout(probeTimer);
      clearInterval(summaryTimer);
    },
  };
}
