import { QueueEvents, type Job, type Worker } from 'bullmq';
import { storeAccountsFor } from '../../src/backup/store-accounts.ts';
import { redisConnection, redisOptions } from '../../src/composition/redis-connections.ts';
import { resolveHelmRoute } from '../../src/helm/helm-route.ts';
import { createJobFences } from '../../src/worker/job-fence.ts';
import { createOperationsWorker } from '../../src/worker/operations-worker.ts';
import { OPERATIONS_QUEUE } from '../../src/jobs/job-catalog.ts';
import type { Config } from '../../src/config/config.schema.ts';
import { backupPreflightOf, type ServiceDeps } from './service-deps.ts';

/** A real BullMQ worker on the test's queue prefix, its Helm through API fences as in production, and a way to await a job's end. */
export async function startWorker(deps: ServiceDeps, config: Config = deps.config) {
  const connection = redisConnection(config.redis, 'durable');
  const fences = createJobFences(resolveHelmRoute(config.kubernetes, process.env));
  const worker: Worker = createOperationsWorker(
    {
      ...deps,
      tenants: deps.registry,
      config,
      fences,
      backupPreflight: backupPreflightOf(deps, config),
      storeAccounts: storeAccountsFor(config.platform.backup, deps.kube.core, deps.redis, config.queue.prefix),
    },
    { connection, prefix: config.queue.prefix, concurrency: 4 },
  );
  void worker.run();
  const events = new QueueEvents(OPERATIONS_QUEUE, { connection: redisOptions(config.redis, 'durable'), prefix: config.queue.prefix });
  await events.waitUntilReady();
  return {
    worker,
    /** Resolves with the job's final state: 'completed' or 'failed'. */
    async finished(jobId: string, timeoutMs = 90_000): Promise<{ state: string; job: Job }> {
      const job = (await deps.queue.getJob(jobId))!;
      await job.waitUntilFinished(events, timeoutMs).catch(() => undefined);
      const fresh = (await deps.queue.getJob(jobId))!;
      return { state: await fresh.getState(), job: fresh };
    },
    async close() {
      await events.close();
      await worker.close();
      await connection.quit();
    },
  };
}
