import { startClosedPage } from '../api/closed-page/closed-page.ts';
import { serve } from '@hono/node-server';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { createAdminRoutes } from '../api/admin/admin.routes.ts';
import { BILLING_SCHEDULES_QUEUE, createBillingSchedules } from '../billing/billing-schedules.ts';
import { createApp } from '../api/app.ts';
import { createJwtVerifier } from '../api/auth/jwt-verifier.ts';
import { OPERATIONS_QUEUE } from '../jobs/job-catalog.ts';
import { MAINTENANCE_QUEUE } from '../jobs/sweep-catalog.ts';
import { createJobEventHub, type JobEventHub } from '../jobs/job-event-hub.ts';
import { queueEndings } from '../jobs/job-endings.ts';
import { createJobProducer } from '../jobs/job-producer.ts';
import type { Metrics } from '../observability/metrics.ts';
import { buildApiServices } from './api-services.ts';
import { reportRedis } from './outages.ts';
import type { Releasers } from './releasers.ts';
import { redisConnection, redisOptions } from './redis-connections.ts';
import type { SharedServices } from './shared-services.ts';

/** Counts SSE subscribers for the metrics without the hub knowing about metrics. */
function observedHub(hub: JobEventHub, metrics: Metrics): JobEventHub {
  return {
    ...hub,
    subscribe(jobId, listener) {
      const release = metrics.sseSubscribed();
      const unsubscribe = hub.subscribe(jobId, listener);
      return () => {
        release();
        unsubscribe();
      };
    },
  };
}

/** The HTTP API, the admin page, Bull Board and /metrics; the server closes before Redis does. */
export async function startApi(shared: SharedServices, releasers: Releasers, extend?: (app: ReturnType<typeof createApp>, redis: Redis) => void) {
  const { config, logger, metrics, outages } = shared;
  const redis = redisConnection(config.redis, 'fail-fast');
  reportRedis(redis, 'redis (api)', outages.redis);
  releasers.add('api redis', () => redis.quit());
  const queue = new Queue(OPERATIONS_QUEUE, { connection: redis, prefix: config.queue.prefix });
  queue.on('error', (error) => outages.redis.failure('queue (api)', error));
  releasers.add('queue', () => queue.close());
  const subscriber = redisConnection(config.redis, 'subscriber');
  reportRedis(subscriber, 'redis (subscriber)', outages.redis);
  // Finished jobs end their open SSE streams even when no terminal event was recorded (job-endings.ts).
  const queueEvents = new QueueEvents(OPERATIONS_QUEUE, { connection: redisOptions(config.redis, 'durable'), prefix: config.queue.prefix });
  queueEvents.on('error', (error) => outages.redis.failure('queue events (api)', error));
  releasers.add('queue events', () => queueEvents.close());
  const hub = await createJobEventHub(subscriber, shared.history.channel, { endings: queueEndings(queueEvents) });
  releasers.add('event hub', () => hub.close());
  const verifier = createJwtVerifier(config.auth);
  // The webhook is always mounted (it answers 503 until a webhook secret is configured).
  // A queue handed a connection never closes it: the connection has a releaser of its own, after the queue's.
  const schedulesRedis = redisConnection(config.redis, 'durable');
  reportRedis(schedulesRedis, 'redis (billing schedules)', outages.redis);
  releasers.add('billing schedules redis', () => schedulesRedis.quit());
  const billingSchedules = createBillingSchedules({ connection: schedulesRedis, prefix: config.queue.prefix });
  releasers.add('billing schedules', () => billingSchedules.close());
  const shutdown = new AbortController();
  const services = buildApiServices({
    config,
    logger,
    registry: shared.registry,
    claims: shared.claims,
    rollouts: shared.rollouts,
    workloads: shared.workloads,
    helm: shared.helm,
    kube: shared.kube,
    queue,
    producer: createJobProducer(queue, config.queue, (name) => metrics.jobTransition(name, 'enqueued')),
    history: shared.history,
    hub: observedHub(hub, metrics),
    redis,
    billingSchedules,
    redisOutage: outages.redis,
  });
  const app = createApp({ config, logger, verifier, services, shutdown: shutdown.signal });
  // Bull Board shows every queue the service uses: sweeps and billing schedules run on their own.
  const boardQueues = [MAINTENANCE_QUEUE, BILLING_SCHEDULES_QUEUE].map((name) => new Queue(name, { connection: redis, prefix: config.queue.prefix }));
  for (const q of boardQueues) q.on('error', (error) => logger.warn({ err: error.message, queue: q.name }, 'queue (admin) error'));
  releasers.add('admin queues', () => Promise.all(boardQueues.map((q) => q.close())));
  app.route(
    '/admin',
    createAdminRoutes({ verifier, queues: [queue, ...boardQueues], bodyLimitBytes: config.http.bodyLimitBytes, insecureCookies: config.admin.insecureCookies }),
  );
  app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType }));
  extend?.(app, redis);
  const server = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, (info) =>
    logger.info({ url: `http://${config.server.host}:${info.port}` }, 'api listening'),
  );
  if (config.server.closedPagePort !== null) {
    releasers.add('closed page', startClosedPage({ host: config.server.host, port: config.server.closedPagePort, logger }));
  }
  releasers.add('http server', () => {
    // Open SSE streams end first (clients resume elsewhere with Last-Event-ID), so close() is not held up.
    shutdown.abort();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { app, queue, redis };
}
