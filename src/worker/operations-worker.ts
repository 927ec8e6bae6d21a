import { Worker, type ConnectionOptions } from 'bullmq';
import { OPERATIONS_QUEUE } from '../jobs/job-catalog.ts';
import { createJobProcessor, type ProcessorDeps } from './job-processor.ts';

export type WorkerOptions = { connection: ConnectionOptions; prefix: string; concurrency: number; lockDurationMs?: number };

/**
 * The BullMQ worker for tenant operations. A killed worker's job is found stalled once its lock
 * expires and runs again; every step being idempotent makes that safe, so a job may stall a few
 * times before BullMQ gives up on it.
 */
export function createOperationsWorker(deps: ProcessorDeps, options: WorkerOptions): Worker {
  const worker = new Worker(OPERATIONS_QUEUE, createJobProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    maxStalledCount: 3,
    autorun: false,
  });
  worker.on('failed', (job, error) => deps.logger.warn({ jobId: job?.id, jobName: job?.name, err: error.message }, 'job attempt failed'));
  worker.on('error', (error) => deps.logger.error({ err: error }, 'worker error'));
  return worker;
}
