import { createRolloutStore } from '../../../../src/kubernetes/rollout-store.ts';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Queue, QueueEvents } from 'bullmq';
import { createApp } from '../../../../src/api/app.ts';
import { createJwtVerifier } from '../../../../src/api/auth/jwt-verifier.ts';
import { buildApiServices } from '../../../../src/composition/api-services.ts';
import { redisConnection, redisOptions } from '../../../../src/composition/redis-connections.ts';
import type { Config } from '../../../../src/config/config.schema.ts';
import { createHelmClient } from '../../../../src/helm/helm-client.ts';
import { OPERATIONS_QUEUE } from '../../../../src/jobs/job-catalog.ts';
import { queueEndings } from '../../../../src/jobs/job-endings.ts';
import { createJobEventHub } from '../../../../src/jobs/job-event-hub.ts';
import { createJobHistory } from '../../../../src/jobs/job-history.ts';
import { createJobProducer } from '../../../../src/jobs/job-producer.ts';
import { createDomainClaims } from '../../../../src/kubernetes/domain-claims.ts';
import { createKubernetes } from '../../../../src/kubernetes/kube-client.ts';
import { createTenantStore } from '../../../../src/kubernetes/tenant-store.ts';
import { createTenantWorkloads } from '../../../../src/kubernetes/tenant-workloads.ts';
import { createLogger } from '../../../../src/observability/logger.ts';
import { sandboxBinaries } from '../../../sandbox/versions.ts';
import { TEST_JWT_SECRET, testConfig } from '../../../support/service-deps.ts';
import { mintToken } from '../../../unit/api/support/tokens.ts';

/**
 * The real API on a loopback port, wired like src/main.ts: real Redis (a queue prefix of its own),
 * BullMQ, the event hub (told of finished jobs by QueueEvents), the sandbox cluster and the Helm binary.
 */
export async function startApi(options: { kubeconfig: string; redisUrl: string; config?: (config: Config) => void }) {
  const config = structuredClone(testConfig({ kubeconfig: options.kubeconfig, redisUrl: options.redisUrl }));
  options.config?.(config);
  const logger = createLogger({ level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent', pretty: false });
  const kube = createKubernetes({ source: 'kubeconfig', kubeconfig: options.kubeconfig });
  const registry = createTenantStore(kube.core, config.platform.namespacePrefix);
  // As the composition root connects: the API's producer fails fast, the subscriber waits out restarts.
  const redis = redisConnection(config.redis, 'fail-fast');
  redis.on('error', () => undefined);
  const durable = redisConnection(config.redis, 'durable');
  durable.on('error', () => undefined);
  const subscriber = redisConnection(config.redis, 'subscriber');
  subscriber.on('error', () => undefined);
  const history = createJobHistory(durable, { prefix: config.queue.prefix });
  const queueEvents = new QueueEvents(OPERATIONS_QUEUE, { connection: redisOptions(config.redis, 'durable'), prefix: config.queue.prefix });
  queueEvents.on('error', () => undefined);
  await queueEvents.waitUntilReady();
  const hub = await createJobEventHub(subscriber, history.channel, { endings: queueEndings(queueEvents) });
  const queue = new Queue(OPERATIONS_QUEUE, { connection: redis, prefix: config.queue.prefix });
  queue.on('error', () => undefined);
  const shutdown = new AbortController();
  // The same service graph as the process: the composition root's own function.
  const claims = createDomainClaims(kube.core, { namespace: config.platform.claimsNamespace, tenantNamespace: registry.namespaceOf });
  const services = buildApiServices({
    config,
    logger,
    registry,
    claims,
    rollouts: createRolloutStore(kube.core, config.platform.claimsNamespace, config.platform.namespacePrefix),
    workloads: createTenantWorkloads(kube),
    helm: createHelmClient({ binary: sandboxBinaries().helm, kubeconfig: options.kubeconfig, env: process.env }),
    kube,
    queue,
    producer: createJobProducer(queue, config.queue),
    history,
    hub,
    redis,
  });
  const app = createApp({ config, logger, verifier: createJwtVerifier(config.auth), services, shutdown: shutdown.signal });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = await mintToken({}, TEST_JWT_SECRET);

  const call = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}) =>
    fetch(`${baseUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { Authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });

  return {
    config,
    baseUrl,
    call,
    registry,
    kube,
    redis,
    durable,
    history,
    hub,
    queue,
    async close() {
      shutdown.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.close();
      await queueEvents.close();
      await queue.close().catch(() => undefined);
      redis.disconnect();
      await durable.quit().catch(() => durable.disconnect());
    },
  };
}
export type ApiServer = Awaited<ReturnType<typeof startApi>>;
