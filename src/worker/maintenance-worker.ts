import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { MAINTENANCE_QUEUE, SWEEP_CATALOG, isSweepName } from '../jobs/sweep-catalog.ts';
import { workerErrorListener, type RedisOutageListener } from './worker-errors.ts';
import { sweepExpired } from './sweeps/expiry-sweep.ts';
import { reconcileTenants, type ReconcileDeps } from './sweeps/reconcile-sweep.ts';

/**
 * Runs the sweep jobs the schedulers produce, one at a time per process. A sweep only reads the
 * cluster and enqueues tenant operations with deterministic ids; the operations themselves run on
 * the operations worker, under the tenant lease.
 */
export function createMaintenanceWorker(deps: ReconcileDeps, options: { connection: ConnectionOptions; prefix: string; redisOutage?: RedisOutageListener | undefined }): Worker {
  const worker = new Worker(MAINTENANCE_QUEUE, async (job: Job) => {
    if (!isSweepName(job.name) || !SWEEP_CATALOG[job.name].safeParse(job.data).success) throw new UnrecoverableError(`unknown sweep ${job.name}`);
    const logger = deps.logger.child({ jobId: job.id, jobName: job.name });
    return job.name === 'expiry-sweep' ? sweepExpired({ ...deps, logger }) : reconcileTenants({ ...deps, logger });
  }, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 1,
    lockDuration: deps.config.queue.lockDurationMs,
    stalledInterval: deps.config.queue.stalledIntervalMs,
    autorun: false,
  });
  worker.on('error', workerErrorListener(deps.logger, 'maintenance worker', options.redisOutage));
  return worker;
}
