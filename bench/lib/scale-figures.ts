// The figures benchmark 7 (scale.ts) writes: a batch of jobs, a stage (memory, sweeps, pages) at a
// tenant count, and their JSON shapes.
import type { SweepName } from '../../src/jobs/sweep-catalog.ts';

/** The sweeps the scale benchmark times (the rollout sweep has nothing to do without a rollout). */
export type MeasuredSweep = Extract<SweepName, 'expiry-sweep' | 'reconcile-sweep'>;
import { now, pool, totalOf, type KubeCounts } from './env.ts';
import type { SweepRun } from './queue-watch.ts';
import { round, summary } from './report.ts';
import type { PageWalks } from './tenant-pages.ts';

/** One batch of requests through the API and the jobs they made. */
export type Batch = {
  tenants: number;
  makespanMs: number;
  failures: number;
  rejected: number;
  retried: number;
  errors: string[];
  intakeMs: number[];
  runMs: number[];
  requests: KubeCounts;
};

export type Memory = { apiRssMB: number; workerRssMB: number; redisUsedMemoryMB: number };
export type SweepFigures = { ms: number; wallMs: number; requests: number; byKind: KubeCounts; report: unknown; failedReason?: string };
export type Stage = { memory: Memory; sweeps: Record<MeasuredSweep, SweepFigures>; pages: PageWalks };

export function stage(memory: Memory, sweeps: Record<MeasuredSweep, SweepRun>, pages: PageWalks): Stage {
  const figures = (s: SweepRun): SweepFigures => ({
    ms: round(s.ms),
    wallMs: round(s.wallMs),
    requests: totalOf(s.requests),
    byKind: s.requests,
    report: brief(s.report),
    ...(s.failedReason ? { failedReason: s.failedReason } : {}),
  });
  return { memory, sweeps: { 'expiry-sweep': figures(sweeps['expiry-sweep']), 'reconcile-sweep': figures(sweeps['reconcile-sweep']) }, pages };
}

export function stageFigures(s: Stage) {
  const pages = Object.fromEntries(
    Object.keys(s.pages.service).map((k) => [k, { service: summary(s.pages.service[k]!), apiServer: summary(s.pages.bare[k]!) }]),
  );
  return {
    memory: s.memory,
    sweeps: s.sweeps,
    listing: {
      tenants: s.pages.tenants,
      pages,
      requestsPerPage: round(s.pages.requests / Math.max(1, s.pages.servicePages), 2),
    },
  };
}

export const describeStage = (s: Stage) =>
  `expiry ${round(s.sweeps['expiry-sweep'].ms)} ms / ${s.sweeps['expiry-sweep'].requests} req, reconcile ${round(s.sweeps['reconcile-sweep'].ms)} ms / ${s.sweeps['reconcile-sweep'].requests} req, ` +
  `list p99 ${summary(Object.values(s.pages.service).flat()).p99} ms, API ${s.memory.apiRssMB} MB, worker ${s.memory.workerRssMB} MB, Redis ${s.memory.redisUsedMemoryMB} MB`;

export function batchFigures(b: Batch) {
  return {
    tenants: b.tenants,
    makespanSeconds: round(b.makespanMs / 1000),
    tenantsPerSecond: round(b.tenants / (b.makespanMs / 1000), 2),
    failures: b.failures,
    rejected: b.rejected,
    retried: b.retried,
    intakeMs: summary(b.intakeMs),
    jobRunMs: summary(b.runMs),
    kubernetesRequestsPerTenant: round(totalOf(b.requests) / b.tenants, 1),
    kubernetesRequestsByKind: Object.fromEntries(Object.entries(b.requests).map(([k, v]) => [k, round(v / b.tenants, 2)])),
    errors: b.errors.slice(0, 5),
  };
}

/** A sweep's report with its tenant lists replaced by their lengths. */
const brief = (report: unknown) =>
  report && typeof report === 'object' ? Object.fromEntries(Object.entries(report).map(([k, v]) => [k, Array.isArray(v) ? v.length : v])) : report;

export function sumCounts(a: KubeCounts, b: KubeCounts): KubeCounts {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export async function timedPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<number>,
  into: { makespanMs: number; failures: number; tenantMs: number[]; errors: string[] },
) {
  const t0 = now();
  await pool(items, limit, async (item) => {
    try {
      into.tenantMs.push(await work(item));
    } catch (error) {
      into.failures += 1;
      into.errors.push(String(error).slice(0, 300));
    }
  });
  into.makespanMs = now() - t0;
}
