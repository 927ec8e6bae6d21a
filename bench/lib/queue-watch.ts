// Reads job outcomes straight from the bench's Redis, so that following a thousand jobs costs the
// service nothing (no SSE subscriber, no GET per job), and runs one sweep the way its scheduler does.
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type Queue } from 'bullmq';
import type { SweepName } from '../../src/jobs/sweep-catalog.ts';
import { diffCounts, kubeRequestCounts, now, pool, scrape, type KubeCounts } from './env.ts';

/** When a job was added, taken and finished (worker clock, epoch ms), and how it ended. */
export type JobOutcome = {
  id: string;
  state: 'completed' | 'failed' | 'missing';
  addedAt: number;
  processedAt: number;
  finishedAt: number;
  attemptsMade: number;
  failedReason?: string;
};

async function outcome(queue: Queue, id: string): Promise<JobOutcome> {
  const job = await Job.fromId(queue, id);
  if (!job) return { id, state: 'missing', addedAt: 0, processedAt: 0, finishedAt: 0, attemptsMade: 0 };
  const state = await job.getState();
  return {
    id,
    state: state === 'completed' ? 'completed' : 'failed',
    addedAt: job.timestamp,
    processedAt: job.processedOn ?? 0,
    finishedAt: job.finishedOn ?? 0,
    attemptsMade: job.attemptsMade,
    ...(job.failedReason ? { failedReason: job.failedReason } : {}),
  };
}

/**
 * Waits until `ids.length` more jobs have finished (completed or failed) than `finishedBefore`
 * (one count query a second, whatever the number of jobs), then reads each job's outcome once.
 */
export async function waitForJobs(queue: Queue, ids: readonly string[], finishedBefore: number, timeoutMs: number): Promise<JobOutcome[]> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const finished = await finishedCount(queue);
    if (finished - finishedBefore >= ids.length) break;
    if (now() > deadline) throw new Error(`${ids.length - (finished - finishedBefore)} of ${ids.length} jobs unfinished after ${timeoutMs / 1000} s`);
    await sleep(1_000);
  }
  return pool(ids, 20, (id) => outcome(queue, id));
}

export async function finishedCount(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('completed', 'failed');
  return (counts.completed ?? 0) + (counts.failed ?? 0);
}

export type SweepRun = {
  /** processedOn → finishedOn as the worker stamped them. */
  ms: number;
  /** Job added → finished seen by the bench (includes pickup and the bench's 20 ms poll). */
  wallMs: number;
  requests: KubeCounts;
  report: unknown;
  failedReason?: string;
};

/**
 * Adds one sweep job to the maintenance queue under the name its scheduler uses (the maintenance
 * worker runs whatever arrives by that name) and waits for it; the worker's Kubernetes request
 * counter is read before and after, so the difference is the sweep's (nothing else runs then).
 */
export async function runSweep(maintenance: Queue, name: SweepName, workerMetricsUrl: string): Promise<SweepRun> {
  const before = kubeRequestCounts(await scrape(workerMetricsUrl));
  const added = now();
  const job = await maintenance.add(name, {}, { removeOnComplete: 100, removeOnFail: 100, attempts: 1 });
  for (;;) {
    const current = await Job.fromId(maintenance, job.id!);
    if (current?.finishedOn) {
      const wallMs = now() - added;
      const requests = diffCounts(kubeRequestCounts(await scrape(workerMetricsUrl)), before);
      return {
        ms: current.finishedOn - (current.processedOn ?? current.finishedOn),
        wallMs,
        requests,
        report: current.returnvalue,
        ...(current.failedReason ? { failedReason: current.failedReason } : {}),
      };
    }
    if (now() - added > 600_000) throw new Error(`${name} did not finish within 10 minutes`);
    await sleep(20);
  }
}
