// The composition root: the only module besides the config loader that reads process.env. It
// builds every dependency once and passes it down; `provisioner api|worker|all`.
import { serve } from '@hono/node-server';
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { createApp } from './api/app.ts';
import { createJwtVerifier } from './api/auth/jwt-verifier.ts';
import { Releasers } from './composition/releasers.ts';
import { ConfigError } from './config/config-error.ts';
import { loadConfig } from './config/load-config.ts';
import { createHelmClient } from './helm/helm-client.ts';
import { OPERATIONS_QUEUE } from './jobs/job-catalog.ts';
import { createJobEventHub } from './jobs/job-event-hub.ts';
import { createJobHistory } from './jobs/job-history.ts';
import { createJobProducer } from './jobs/job-producer.ts';
import { MAINTENANCE_QUEUE } from './jobs/sweep-catalog.ts';
import { scheduleSweeps } from './jobs/sweep-schedules.ts';
import { createKubernetes } from './kubernetes/kube-client.ts';
import { createTenantIntents } from './kubernetes/tenant-intents.ts';
import { createTenantRegistry } from './kubernetes/tenant-registry.ts';
import { createTenantWorkloads } from './kubernetes/tenant-workloads.ts';
import { createLogger } from './observability/logger.ts';
import { drainWorkers } from './worker/drain.ts';
import { createMaintenanceWorker } from './worker/maintenance-worker.ts';
import { createOperationsWorker } from './worker/operations-worker.ts';
import { createTenantLeases } from './worker/tenant-lease.ts';

const MODES = ['api', 'worker', 'all'] as const;
type Mode = (typeof MODES)[number];

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const mode = argv[0] as Mode;
  if (!MODES.includes(mode)) {
    process.stderr.write(`usage: provisioner <${MODES.join('|')}> [--config file]\n`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig({ env, argv: argv.slice(1) });
  const logger = createLogger(config.logging);
  const releasers = new Releasers();
  const redisUrl = config.redis.url;
  // Workers and subscribers wait out a Redis restart; the API's producer fails fast so intake can answer 503.
  const durable: RedisOptions = { maxRetriesPerRequest: null };
  const failFast: RedisOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 };

  const kube = createKubernetes(config.kubernetes);
  const registry = createTenantRegistry(kube.core, config.platform.namespacePrefix);
  const workloads = createTenantWorkloads(kube);
  const helm = createHelmClient({
    binary: config.helm.binary,
    kubeconfig: config.kubernetes.source === 'kubeconfig' ? config.kubernetes.kubeconfig : undefined,
    killGraceMs: config.helm.killGraceSeconds * 1000,
    env,
  });
  const historyRedis = new Redis(redisUrl, durable);
  releasers.add('history redis', () => historyRedis.quit());
  const history = createJobHistory(historyRedis, { prefix: config.queue.prefix });

  if (mode === 'worker' || mode === 'all') {
    const prefix = config.queue.prefix;
    const connection = new Redis(redisUrl, durable);
    releasers.add('worker redis', () => connection.quit());
    const intents = createTenantIntents(kube.core, config.platform.namespacePrefix);
    const leases = createTenantLeases(historyRedis, { prefix, ttlMs: config.queue.tenantLease.ttlMs });
    const operations = new Queue(OPERATIONS_QUEUE, { connection, prefix });
    const maintenance = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
    releasers.add('worker queues', () => Promise.all([operations.close(), maintenance.close()]));
    // Idempotent in every replica; in the background, so a Redis still starting does not block start-up.
    void scheduleSweeps(maintenance, config).catch((error: unknown) => logger.error({ err: error }, 'could not schedule the sweeps'));
    const operationDeps = { config, logger, kube, registry, intents, workloads, helm };
    const worker = createOperationsWorker({ ...operationDeps, history, leases }, { connection, prefix, concurrency: config.queue.concurrency });
    const sweeper = createMaintenanceWorker(
      { ...operationDeps, leases, queue: operations, producer: createJobProducer(operations, config.queue) },
      { connection, prefix },
    );
    // Released first: stop taking jobs, let running ones finish or cancel them; Redis closes after.
    releasers.add('workers', () => drainWorkers([worker, sweeper], config.queue.shutdown.drainSeconds * 1000, logger));
    void worker.run();
    void sweeper.run();
    logger.info({ concurrency: config.queue.concurrency, prefix }, 'worker started');
  }

  if (mode === 'api' || mode === 'all') {
    const redis = new Redis(redisUrl, failFast);
    redis.on('error', (error) => logger.warn({ err: error.message }, 'redis (api) connection error'));
    releasers.add('api redis', () => redis.quit());
    const queue = new Queue(OPERATIONS_QUEUE, { connection: redis, prefix: config.queue.prefix });
    releasers.add('queue', () => queue.close());
    const subscriber = new Redis(redisUrl, durable);
    const hub = await createJobEventHub(subscriber, history.channel);
    releasers.add('event hub', () => hub.close());
    const app = createApp({
      config, logger, verifier: createJwtVerifier(config.auth), registry, workloads, helm, kube, queue,
      producer: createJobProducer(queue, config.queue), history, hub, redis,
    });
    const server = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, (info) =>
      logger.info({ url: `http://${config.server.host}:${info.port}` }, 'api listening'));
    releasers.add('http server', () => new Promise<void>((resolve) => server.close(() => resolve())));
  }

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, config.queue.shutdown.exitSeconds * 1000).unref();
    void releasers.releaseAll((name, error) => logger.warn({ err: error, releaser: name }, 'release failed')).then(() => {
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`provisioner failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
