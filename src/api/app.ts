import { randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Queue } from 'bullmq';
import type { MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.schema.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import type { JobEventHub } from '../jobs/job-event-hub.ts';
import type { JobHistory } from '../jobs/job-history.ts';
import type { JobProducer } from '../jobs/job-producer.ts';
import type { Kubernetes } from '../kubernetes/kube-client.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import type { Logger } from '../observability/logger.ts';
import type { BillingSchedules } from '../billing/billing-schedules.ts';
import { bindLifecycleIntake } from '../billing/lifecycle-intake-binding.ts';
import { createLifecycleBillingActions } from '../billing/lifecycle-billing-actions.ts';
import type { LifecycleDeps } from '../lifecycle/intake.ts';
import { createLifecycleRouter } from './lifecycle/lifecycle.router.ts';
import { createStripeWebhookRoutes } from './webhooks/webhooks.router.ts';
import { createIdempotencyStore } from '../services/idempotency-store.ts';
import { createProvisioningService } from '../services/provisioning-service.ts';
import { createRateLimiter } from '../services/rate-limiter.ts';
import { createRouter, type AppEnv } from './app-env.ts';
import { bearerAuth } from './auth/auth.middleware.ts';
import type { JwtVerifier } from './auth/jwt-verifier.ts';
import { createOnError, notFoundHandler } from './errors/problem.handlers.ts';
import { createHealthRouter } from './health/health.router.ts';
import { createJobsRouter } from './jobs/jobs.router.ts';
import { limitBody } from './middleware/body-limit.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { requestContext } from './middleware/request-context.ts';
import { mountApiDocs } from './openapi/docs.ts';
import { createProvisioningRouter } from './provisioning/provisioning.router.ts';
import { createTenantsRouter } from './tenants/tenants.router.ts';

export type { AppEnv } from './app-env.ts';

/** Everything the API process needs, built once by the composition root and passed in. */
export type ApiDeps = {
  config: Config;
  logger: Logger;
  verifier: JwtVerifier;
  /** Tenants are namespaces. */
  registry: TenantStore;
  /** Only readDatabase and readDeployment are used (status). */
  workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment'>;
  /** status (tenant status), version (validate) and template (the update preflight): the API never installs anything. */
  helm: Pick<HelmClient, 'status' | 'version' | 'template'>;
  /** core for credentials, version for /readyz and validate. */
  kube: Pick<Kubernetes, 'core' | 'version'>;
  /** The OPERATIONS_QUEUE, for reading jobs. */
  queue: Pick<Queue, 'getJob'>;
  producer: JobProducer;
  history: Pick<JobHistory, 'read'>;
  hub: Pick<JobEventHub, 'subscribe'>;
  /**
   * The "producer" ioredis connection, created with enableOfflineQueue: false and
   * maxRetriesPerRequest: 1 so that commands fail fast while Redis is down: idempotency keys,
   * rate limits and the intake ping.
   */
  redis: Pick<Redis, 'ping' | 'get' | 'set' | 'del' | 'incr' | 'pexpire'>;
  /** 6 hex characters for generated tenant ids (default: crypto). */
  randomHex?: () => string;
  now?: () => Date;
  /**
   * Aborted when the process begins to shut down: open SSE streams end (clients resume elsewhere
   * with Last-Event-ID), so the HTTP server's close is not held up by long-lived connections.
   */
  shutdown?: AbortSignal;
  /** Billing's delayed actions (grace, retention); the Stripe webhook is mounted when given. */
  billingSchedules?: BillingSchedules | undefined;
};

/** The version of the HTTP contract in the OpenAPI document (not the package version). */
export const API_VERSION = '1.0.0';

/**
 * The API process's HTTP layer. Middleware order: request id → per-request logger and access log →
 * (per /api group) bearer JWT → per-subject rate limit → body limit → zod validation → handler.
 * Authentication is mounted per group rather than on `/api/*`, so a group such as the Stripe webhook
 * can authenticate differently. The composition root may mount more groups on the returned app
 * (e.g. `app.route('/admin', createAdminRoutes(...))`); they get the request id and access log too.
 */
export function createApp(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const { config } = deps;
  const randomHex = deps.randomHex ?? (() => randomBytes(3).toString('hex'));
  const app = createRouter();
  app.use(requestId());
  app.use(requestContext(deps.logger));
  app.onError(createOnError(deps.logger));
  app.notFound(notFoundHandler);

  const limiter = createRateLimiter(deps.redis, {
    prefix: `${config.queue.prefix}:ratelimit`,
    windowSeconds: config.http.rateLimit.windowSeconds,
    maxRequests: config.http.rateLimit.maxRequests,
    ...(deps.now ? { now: () => deps.now!().getTime() } : {}),
  });
  const guard: MiddlewareHandler[] = [
    // The admin page calls /api with its session cookie (changes need the CSRF header); see session-cookie.ts.
    bearerAuth(deps.verifier, { allowSession: true }),
    rateLimit(limiter),
    limitBody(config.http.bodyLimitBytes),
  ];
  const service = createProvisioningService({
    config,
    registry: deps.registry,
    producer: deps.producer,
    redis: deps.redis,
    idempotency: createIdempotencyStore(deps.redis, { prefix: `${config.queue.prefix}:idem` }),
    randomHex,
    now: deps.now,
  });

  app.route('/', createHealthRouter({ redis: deps.redis, kube: deps.kube }));
  app.route(
    '/api/provisioning',
    createProvisioningRouter(
      { config, service, registry: deps.registry, workloads: deps.workloads, helm: deps.helm, kube: deps.kube, randomHex },
      guard,
    ),
  );
  app.route('/api/tenants', createTenantsRouter(deps.registry, guard));
  app.route(
    '/api/jobs',
    createJobsRouter(
      { queue: deps.queue, history: deps.history, hub: deps.hub, heartbeatSeconds: config.sse.heartbeatSeconds, shutdown: deps.shutdown },
      guard,
    ),
  );
  const lifecycle: LifecycleDeps = {
    config, helm: deps.helm, workloads: deps.workloads, tenants: deps.registry, producer: deps.producer,
  };
  app.route('/api/provisioning', createLifecycleRouter(lifecycle, guard));
  if (deps.billingSchedules) {
    const actions = createLifecycleBillingActions({
      registry: deps.registry, provisioning: service, intake: bindLifecycleIntake(lifecycle, deps.logger), schedules: deps.billingSchedules,
    });
    // Authenticated by Stripe's signature, not a bearer token: no auth guard and no per-subject rate limit.
    app.route('/api/webhooks', createStripeWebhookRoutes({ config, redis: deps.redis, actions }));
  }
  mountApiDocs(app, API_VERSION);
  return app;
}
