import { Worker, type ConnectionOptions } from 'bullmq';
import { OPERATIONS_QUEUE } from '../jobs/job-catalog.ts';
import { workerErrorListener, type RedisOutageListener } from './worker-errors.ts';
import { createJobProcessor, type ProcessorDeps } from './job-processor.ts';

export type WorkerOptions = {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  /** The process's Redis outage reporter; without one, errors are logged once per distinct message and window. */
  redisOutage?: RedisOutageListener | undefined;
};

/**
 * The BullMQ worker for tenant operations. A killed worker's job is found stalled once its lock
 * expires (about lockDurationMs + stalledIntervalMs later) and runs again; every step being
 * idempotent, and the tenant lease keeping the new run waiting until the dead holder's lease
 * expires, make that safe. A job that stalls past maxStalledCount is re-run by the reconciler.
 */
export function createOperationsWorker(deps: ProcessorDeps, options: WorkerOptions): Worker {
  const q = deps.config.queue;
  const worker = new Worker(OPERATIONS_QUEUE, createJobProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: q.lockDurationMs,
    stalledInterval: q.stalledIntervalMs,
    maxStalledCount: q.maxStalledCount,
    autorun: false,
  });
  worker.on('failed', (job, error) => deps.logger.warn({ jobId: job?.id, jobName: job?.name, err: error.message }, 'job attempt failed'));
  worker.on('error', workerErrorListener(deps.logger, 'operations worker', options.redisOutage));
  worker.on('lockRenewalFailed', (jobIds) => {
    // Another worker may take these jobs now; the tenant lease keeps the two from mutating at once.
    deps.logger.warn({ jobIds }, 'job lock renewal failed; cancelling those jobs here');
    for (const id of jobIds) worker.cancelJob(id, 'job lock lost');
  });
  return worker;
}
