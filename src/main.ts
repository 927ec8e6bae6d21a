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
import { createKubernetes } from './kubernetes/kube-client.ts';
import { createTenantRegistry } from './kubernetes/tenant-registry.ts';
import { createTenantWorkloads } from './kubernetes/tenant-workloads.ts';
import { createLogger } from './observability/logger.ts';
import { createOperationsWorker } from './worker/operations-worker.ts';

const MODES = ['api', 'worker', 'all'] as const;
type Mode = (typeof MODES)[number];
const SHUTDOWN_DEADLINE_MS = 90_000;

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
    const connection = new Redis(redisUrl, durable);
    releasers.add('worker redis', () => connection.quit());
    const worker = createOperationsWorker(
      { config, logger, kube, registry, workloads, helm, history },
      { connection, prefix: config.queue.prefix, concurrency: config.queue.concurrency },
    );
    // Stop taking jobs first; running ones finish (or are cancelled) within the deadline.
    releasers.add('worker', () => worker.close());
    void worker.run();
    logger.info({ concurrency: config.queue.concurrency, prefix: config.queue.prefix }, 'worker started');
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
    }, SHUTDOWN_DEADLINE_MS).unref();
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
