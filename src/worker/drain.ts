import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';

/**
 * Shutdown for workers: stop taking jobs at once, let running jobs finish for `drainMs`, then cancel
 * them (their processors put the job back to wait without spending an attempt, after Helm was
 * sent SIGTERM and given its kill grace to mark the release failed) and wait for them to stop.
 * BullMQ's close() alone never times out; the process's hard exit deadline bounds the rest.
 */
export async function drainWorkers(workers: readonly Worker[], drainMs: number, logger: Logger): Promise<void> {
  const closing = Promise.all(workers.map((w) => w.close()));
  const cancel = new AbortController();
  const outcome = await Promise.race([
    closing.then(() => 'closed' as const),
    sleep(drainMs, 'deadline' as const, { signal: cancel.signal }).catch(() => 'closed' as const),
  ]);
  cancel.abort();
  if (outcome === 'deadline') {
    logger.warn({ drainMs }, 'jobs still running at the drain deadline; cancelling them');
    for (const w of workers) w.cancelAllJobs('worker shutting down');
    await closing;
  }
}
