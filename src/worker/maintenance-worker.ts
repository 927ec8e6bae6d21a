import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { MAINTENANCE_QUEUE, SWEEP_CATALOG, isSweepName } from '../jobs/sweep-catalog.ts';
import type { OutageReporter } from '../observability/outage-reporter.ts';
import { workerErrorListener, type RedisOutageListener } from './worker-errors.ts';
import { sweepExpired } from './sweeps/expiry-sweep.ts';
import { reconcileTenants, type ReconcileDeps } from './sweeps/reconcile-sweep.ts';
import { tickRollouts, type RolloutDeps } from '../lifecycle/rollouts.ts';

/**
 * Runs the sweep jobs the schedulers produce, one at a time per process. A sweep only reads the
 * cluster and enqueues tenant operations with deterministic ids; the operations themselves run on
 * the operations worker, under the tenant lease.
 */
export type MaintenanceWorkerOptions = {
  connection: ConnectionOptions;
  prefix: string;
  redisOutage?: RedisOutageListener | undefined;
  /**
   * The process's outage reporters: a sweep due while one of them reports an outage is skipped
   * (the next one runs on schedule) rather than failing once per tenant and logging each.
   */
  outages?: ReadonlyArray<Pick<OutageReporter, 'dependency' | 'isDown'>> | undefined;
};

export function createMaintenanceWorker(deps: ReconcileDeps & Pick<RolloutDeps, 'rollouts' | 'workloads'>, options: MaintenanceWorkerOptions): Worker {
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job: Job) => {
      if (!isSweepName(job.name) || !SWEEP_CATALOG[job.name].safeParse(job.data).success) throw new UnrecoverableError(`unknown sweep ${job.name}`);
      const down = (options.outages ?? []).filter((o) => o.isDown()).map((o) => o.dependency);
      if (down.length > 0) return `skipped: ${down.join(' and ')} unavailable`;
      const logger = deps.logger.child({ jobId: job.id, jobName: job.name });
      if (job.name === 'rollout-sweep') return tickRollouts({ ...deps, logger });
      return job.name === 'expiry-sweep' ? sweepExpired({ ...deps, logger }) : reconcileTenants({ ...deps, logger });
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 1,
      lockDuration: deps.config.queue.lockDurationMs,
      stalledInterval: deps.config.queue.stalledIntervalMs,
      autorun: false,
    },
  );
  worker.on('error', workerErrorListener(deps.logger, 'maintenance worker', options.redisOutage));
  return worker;
}
