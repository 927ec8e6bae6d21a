import { createBackupPreflight } from '../backup/backup-preflight.ts';
import { storeAccountsFor } from '../backup/store-accounts.ts';
import { Queue } from 'bullmq';
import { createBillingWorker } from '../billing/create-billing-worker.ts';
import { createJobProducer } from '../jobs/job-producer.ts';
import { OPERATIONS_QUEUE } from '../jobs/job-catalog.ts';
import { MAINTENANCE_QUEUE } from '../jobs/sweep-catalog.ts';
import { scheduleSweeps } from '../jobs/sweep-schedules.ts';
import { resolveHelmRoute } from '../helm/helm-route.ts';
import { watchTenants } from '../kubernetes/tenant-cache.ts';
import { configuredTarget } from '../helm/chart-version.ts';
import { watchWorkloads } from '../kubernetes/workload-cache.ts';
import { drainWorkers } from '../worker/drain.ts';
import { createJobFences } from '../worker/job-fence.ts';
import { createMaintenanceWorker } from '../worker/maintenance-worker.ts';
import { createOperationsWorker } from '../worker/operations-worker.ts';
import { tickRolloutsWhenUpdatesFinish } from '../worker/rollout-kick.ts';
import { createTenantLeases } from '../worker/tenant-lease.ts';
import { reportRedis } from './outages.ts';
import type { Releasers } from './releasers.ts';
import { leaseReplicas, redisConnection } from './redis-connections.ts';
import type { SharedServices } from './shared-services.ts';

/** The operations worker and the sweeper (expiry, reconcile), drained first on shutdown. */
export function startWorkers(shared: SharedServices, releasers: Releasers, env: NodeJS.ProcessEnv): { operations: Queue } {
  const { config, logger, kube, registry, claims, rollouts, workloads, helm, history, historyRedis, metrics, outages } = shared;
  const prefix = config.queue.prefix;
  const connection = redisConnection(config.redis, 'durable');
  reportRedis(connection, 'redis (worker)', outages.redis);
  releasers.add('worker redis', () => connection.quit());
  // A connection of the leases' own, with command timeouts: a renewal or guard stuck behind a hung
  // connection (or behind the history's traffic) must fail in time for the holder to give the lease up.
  const leaseRedis = redisConnection(config.redis, { lease: { ttlMs: config.queue.tenantLease.ttlMs } });
  reportRedis(leaseRedis, 'redis (leases)', outages.redis);
  releasers.add('lease redis', () => leaseRedis.quit());
  const leases = createTenantLeases(leaseRedis, { prefix, ttlMs: config.queue.tenantLease.ttlMs, replicas: leaseReplicas(config.redis) });
  const operations = new Queue(OPERATIONS_QUEUE, { connection, prefix });
  const maintenance = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  // An EventEmitter 'error' without a listener kills the process: a Redis restart must not.
  for (const queue of [operations, maintenance]) queue.on('error', (error) => outages.redis.failure(`queue ${queue.name}`, error));
  releasers.add('worker queues', () => Promise.all([operations.close(), maintenance.close()]));
  // Idempotent in every replica; in the background, so a Redis still starting does not block start-up.
  void scheduleSweeps(maintenance, config).catch((error: unknown) => logger.error({ err: error }, 'could not schedule the sweeps'));
  const backupPreflight = config.platform.backup.preflight ? createBackupPreflight(kube.core, config.platform.backup) : undefined;
  const storeAccounts = storeAccountsFor(config.platform.backup, kube.core, connection, prefix);
  const operationDeps = { config, logger, kube, tenants: registry, claims, workloads, helm, backupPreflight, storeAccounts };
  const producer = createJobProducer(operations, config.queue, (name) => metrics.jobTransition(name, 'enqueued'));
  // Each job's Helm reaches the API server through a fence of its own, gated by the job's lease.
  const helmRoute = resolveHelmRoute(config.kubernetes, env);
  releasers.add('helm route', async () => helmRoute.dispose());
  const fences = createJobFences(helmRoute, metrics);
  const worker = createOperationsWorker(
    { ...operationDeps, history, leases, metrics, fences },
    { connection, prefix, concurrency: config.queue.concurrency, redisOutage: outages.redis },
  );
  tickRolloutsWhenUpdatesFinish(worker, maintenance, logger);
  // The sweeps walk a watch-fed cache of the tenants (tenant-cache.ts), not a list of every namespace per run.
  const tenantCache = watchTenants(kube, { store: registry, logger });
  releasers.add('tenant cache', () => tenantCache.stop());
  // ...and compares them with Deployments and Clusters from two more watches, where RBAC grants them.
  const workloadCache = watchWorkloads(kube, { logger });
  releasers.add('workload cache', () => workloadCache.stop());
  const sweeper = createMaintenanceWorker(
    {
      ...operationDeps,
      tenants: { ...registry, all: tenantCache.all },
      leases,
      queue: operations,
      producer,
      workloadCache,
      metrics,
      fleetTarget: configuredTarget(config.platform),
      rollouts,
    },
    { connection, prefix, redisOutage: outages.redis, outages: Object.values(outages) },
  );
  const billing = createBillingWorker(
    { config, redis: historyRedis, logger, lifecycle: { config, tenants: registry, producer } },
    { connection, prefix, redisOutage: outages.redis },
  );
  const workers = [worker, sweeper, billing];
  // Released first (releasers run in reverse): stop taking jobs, let running ones finish or cancel them.
  releasers.add('workers', () => drainWorkers(workers, config.queue.shutdown.drainSeconds * 1000, logger));
  // run() rejects when the worker cannot start (Redis refusing its first commands); unhandled, that would end the process.
  for (const w of workers) w.run().catch((error: unknown) => logger.error({ err: error, worker: w.name }, 'worker stopped running'));
  logger.info({ concurrency: config.queue.concurrency, prefix }, 'worker started');
  return { operations };
}
