import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceDeps, type ServiceDeps } from '../support/service-deps.ts';
import { probeAvailability } from './availability-probe.ts';
import { driveClock } from './drivers/clock-driver.ts';
import type { DriverContext } from './drivers/driver-context.ts';
import { driveLifecycle } from './drivers/lifecycle-driver.ts';
import { driveReaders } from './drivers/reader-driver.ts';
import { driveRollouts } from './drivers/rollout-driver.ts';
import { driveSse } from './drivers/sse-driver.ts';
import { driveStripe } from './drivers/stripe-driver.ts';
import { faultSchedule, injectFault } from './faults.ts';
import { startFleet } from './fleet.ts';
import { awaitSettled, checkFinal, watchInvariants } from './invariants/index.ts';
import { judgeForgottenEvents, Ledger } from './ledger.ts';
import { seededRandom } from './seeded-random.ts';
import { soakReport, type JobEnd, type SoakReport } from './soak-report.ts';

export type SoakOptions = {
  minutes: number;
  seed: number;
  log?: (line: string) => void;
  settleMs?: number;
  /** Ends the run early (Ctrl-C): everything started is stopped, and no report is made. */
  signal?: AbortSignal;
};

/** When each accepted job ended, from its durable history (the stream id of its last event is the time). */
async function jobEnds(deps: ServiceDeps, ledger: Ledger): Promise<Map<string, JobEnd>> {
  const ends = new Map<string, JobEnd>();
  for (const jobId of new Set(ledger.accepted.flatMap((a) => (a.jobId ? [a.jobId] : [])))) {
    const last = (await deps.history.read(jobId)).findLast((e) => e.type === 'completed' || e.type === 'failed');
    if (last) ends.set(jobId, { jobId, endedAt: Number(last.id.split('-')[0]), outcome: last.type as JobEnd['outcome'] });
  }
  return ends;
}

/** A background task whose failure is recorded, not thrown: the soak reports it and still cleans up. */
const recorded = (ledger: Ledger, name: string, task: Promise<unknown>) =>
  task.then(
    () => undefined,
    (error: unknown) => ledger.violate('harness', `${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  );

/**
 * The soak: the fleet up, the drivers and the continuous checks running, faults injected on the
 * seed's schedule (each awaited until the system is back before the next), then the drive stops,
 * the system settles and the final checks run. Everything it started is stopped whatever happens.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const rng = seededRandom(options.seed);
  const driveMs = options.minutes * 60_000;
  const schedule = faultSchedule(rng.fork('faults'), options.minutes);
  const faultRng = rng.fork('fault-targets');
  const logDir = await mkdtemp(join(tmpdir(), `tp-soak-${options.seed}-`));
  log(`seed ${options.seed}, ${options.minutes} min, ${schedule.length} faults scheduled; logs in ${logDir}`);
  const fleet = await startFleet({ logDir, log });
  const stopped = options.signal ?? new AbortController().signal;
  const deps = serviceDeps(fleet.config, fleet.kubeconfig);
  const ledger = new Ledger();
  const drive = new AbortController();
  const watching = new AbortController();
  try {
    const startedAt = Date.now();
    const ctx = (label: string): DriverContext => ({
      rng: rng.fork(label),
      fleet,
      ledger,
      token: fleet.token,
      stripeSecret: fleet.stripeSecret,
      until: drive.signal,
    });
    const watch = watchInvariants(deps, ledger, watching.signal, {
      metricsUrls: () => fleet.metricsUrls(),
      workers: () => fleet.workers.flatMap((w) => (w.process ? [{ index: w.index, pid: w.process.pid }] : [])),
    });
    const probe = recorded(ledger, 'availability probe', probeAvailability(fleet, fleet.token, ledger, watching.signal));
    const drivers = Promise.all([
      recorded(ledger, 'lifecycle driver', driveLifecycle(ctx('lifecycle'))),
      recorded(ledger, 'stripe driver', driveStripe(ctx('stripe'))),
      recorded(ledger, 'rollout driver', driveRollouts(ctx('rollouts'))),
      recorded(ledger, 'sse driver', driveSse(ctx('sse'))),
      recorded(ledger, 'reader driver', driveReaders(ctx('readers'))),
      recorded(ledger, 'clock driver', driveClock(ctx('clock'), deps.registry)),
    ]);
    for (const fault of schedule) {
      const wait = startedAt + fault.atMs - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: stopped });
      if (Date.now() - startedAt >= driveMs) break;
      const at = Date.now();
      try {
        const done = await injectFault(fleet, fault, faultRng);
        if (done.injected) ledger.faults.push({ at, kind: done.kind, detail: done.detail, recoveredAt: done.recoveredAt });
        log(`${Math.round((at - startedAt) / 1000)} s: ${done.kind} ${done.detail} (back in ${done.recoveredAt - at} ms)`);
      } catch (error) {
        // The fleet did not come back (a process that would not start): a finding, and the run goes on.
        ledger.violate('harness', `${fault.kind} at ${Math.round((at - startedAt) / 1000)} s: the fleet did not recover: ${String(error)}`);
        log(`${Math.round((at - startedAt) / 1000)} s: ${fault.kind} did not recover: ${String(error)}`);
      }
    }
    const left = startedAt + driveMs - Date.now();
    if (left > 0) await sleep(left, undefined, { signal: stopped });
    drive.abort();
    await drivers;
    const settleStarted = Date.now();
    log(`drive over: ${ledger.accepted.length} intents accepted; settling`);
    const still = await awaitSettled(deps, options.settleMs ?? 300_000);
    if (still) ledger.violate('settled', `not at rest ${options.settleMs ?? 300_000} ms after the drive: ${still}`);
    const settleMs = Date.now() - settleStarted;
    watching.abort();
    await Promise.all([watch.done, probe]);
    judgeForgottenEvents(ledger, fleet.topology.switches());
    const checks = await checkFinal(deps, ledger, watch, fleet.logDir);
    return soakReport({
      seed: options.seed,
      minutes: options.minutes,
      startedAt,
      driveMs,
      settleMs,
      ledger,
      ends: await jobEnds(deps, ledger),
      checks,
      switches: fleet.topology.switches(),
    });
  } finally {
    drive.abort();
    watching.abort();
    await deps.close().catch(() => undefined);
    await fleet.stop();
  }
}
