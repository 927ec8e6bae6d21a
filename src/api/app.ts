import type { DryRunDeps } from '../lifecycle/dry-run.ts';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Queue } from 'bullmq';
import type { MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import type { Redis } from 'ioredis';
import type { StripeWebhook } from '../billing/stripe-webhook.ts';
import type { Config } from '../config/config.schema.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import type { JobEventHub } from '../jobs/job-event-hub.ts';
import type { JobHistory } from '../jobs/job-history.ts';
import type { Kubernetes } from '../kubernetes/kube-client.ts';
import type { DomainClaims } from '../kubernetes/domain-claims.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProvisioningService } from '../services/provisioning-service.ts';
import type { RateLimiter } from '../services/rate-limiter.ts';
import { createRouter, type AppEnv } from './app-env.ts';
import { bearerAuth } from './auth/auth.middleware.ts';
import type { JwtVerifier } from './auth/jwt-verifier.ts';
import { documentedRoutes, methodNotAllowed } from './errors/method-not-allowed.ts';
import { createOnError, notFoundHandler } from './errors/problem.handlers.ts';
import { createHealthRouter } from './health/health.router.ts';
import { createJobsRouter } from './jobs/jobs.router.ts';
import { createLifecycleRouter } from './lifecycle/lifecycle.router.ts';
import { createRolloutsRouter } from './rollouts/rollouts.router.ts';
import type { RolloutDeps } from '../lifecycle/rollouts.ts';
import type { RolloutDryRunDeps } from '../lifecycle/rollout-dry-run.ts';
import { limitBody } from './middleware/body-limit.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { requestContext } from './middleware/request-context.ts';
import { mountApiDocs } from './openapi/docs.ts';
import { createProvisioningRouter } from './provisioning/provisioning.router.ts';
import { createTenantsRouter } from './tenants/tenants.router.ts';
import { createTemplatesRouter } from './templates/templates.router.ts';
import { createExportsRouter } from './exports/exports.router.ts';
import type { TenantExports } from '../backup/tenant-exports.ts';
import { createFleetRouter } from './fleet/fleet.router.ts';
import type { FleetTarget } from '../domain/tenant-version.ts';
import { createStripeWebhookRoutes } from './webhooks/webhooks.router.ts';

export type { AppEnv } from './app-env.ts';

/** What the read routes (status, validation, credentials, tenant list, jobs, health) read directly. */
export type ApiReads = {
  registry: TenantStore;
  workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment' | 'readCertificate' | 'listBackups'>;
  /** Who holds a custom domain (validate). */
  claims: Pick<DomainClaims, 'owner'>;
  helm: Pick<HelmClient, 'status' | 'version' | 'template' | 'manifest'>;
  kube: Pick<Kubernetes, 'core' | 'version'>;
  queue: Pick<Queue, 'getJob'>;
  history: Pick<JobHistory, 'read'>;
  hub: Pick<JobEventHub, 'subscribe'>;
  redis: Pick<Redis, 'ping'>;
  /** 6 hex characters for suggested tenant ids. */
  randomHex: () => string;
  /** The configured chart and app version (GET /api/fleet compares the fleet with it). */
  fleetTarget: () => FleetTarget;
  /** Tenant exports in the backup store: listed, and a download URL minted (tenant-exports.ts). */
  exports: Pick<TenantExports, 'list' | 'describe'>;
};

/** The services the routes call, built by the composition root (`buildApiServices` in src/composition). */
export type ApiServices = {
  rateLimiter: RateLimiter;
  provisioning: ProvisioningService;
  /** The lifecycle intake's dependencies: update (its dry run too), hibernate and resume. */
  lifecycle: DryRunDeps;
  /** Fleet rollouts: planned here, moved by the worker's rollout sweep, both through the lifecycle intake. */
  rollouts: RolloutDeps & RolloutDryRunDeps;
  /** Mounted at /api/webhooks unless undefined; null answers 503 (no webhook secret configured). */
  stripeWebhook: StripeWebhook | null | undefined;
  reads: ApiReads;
};

/** What `createApp` is given: the built services and the few things that are the HTTP layer's own. */
export type ApiDeps = {
  config: Config;
  logger: Logger;
  verifier: JwtVerifier;
  services: ApiServices;
  /**
   * Aborted when the process begins to shut down: open SSE streams end (clients resume elsewhere
   * with Last-Event-ID), so the HTTP server's close is not held up by long-lived connections.
   */
  shutdown?: AbortSignal | undefined;
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
  const { config, services } = deps;
  const { reads } = services;
  const app = createRouter();
  app.use(requestId());
  app.use(requestContext(deps.logger));
  // 405 with Allow for a method no route of that path declares (the document's undeclared methods).
  app.use(methodNotAllowed(() => documentedRoutes(app.openAPIRegistry.definitions)));
  app.onError(createOnError(deps.logger));
  app.notFound(notFoundHandler);

  const guard: MiddlewareHandler[] = [
    // The admin page calls /api with its session cookie (changes need the CSRF header); see session-cookie.ts.
    bearerAuth(deps.verifier, { allowSession: true }),
    rateLimit(services.rateLimiter),
    limitBody(config.http.bodyLimitBytes),
  ];

  app.route('/', createHealthRouter({ redis: reads.redis, kube: reads.kube }));
  app.route(
    '/api/provisioning',
    createProvisioningRouter(
      {
        config,
        service: services.provisioning,
        registry: reads.registry,
        claims: reads.claims,
        workloads: reads.workloads,
        helm: reads.helm,
        kube: reads.kube,
        randomHex: reads.randomHex,
      },
      guard,
    ),
  );
  app.route('/api/tenants', createTenantsRouter({ registry: reads.registry, lifecycle: services.lifecycle, workloads: reads.workloads }, guard));
  app.route('/api/tenants', createExportsRouter({ lifecycle: services.lifecycle, exports: reads.exports }, guard));
  app.route(
    '/api/rollouts',
    createRolloutsRouter(services.rollouts, guard, {
      pollMs: config.provisioning.rollouts.tickSeconds * 1000,
      heartbeatMs: config.sse.heartbeatSeconds * 1000,
      shutdown: deps.shutdown,
    }),
  );
  app.route('/api/templates', createTemplatesRouter({ registry: reads.registry, workloads: reads.workloads }, guard));
  app.route('/api/fleet', createFleetRouter({ registry: reads.registry, target: reads.fleetTarget }, guard));
  app.route(
    '/api/jobs',
    createJobsRouter(
      { queue: reads.queue, history: reads.history, hub: reads.hub, heartbeatSeconds: config.sse.heartbeatSeconds, shutdown: deps.shutdown },
      guard,
    ),
  );
  app.route('/api/provisioning', createLifecycleRouter(services.lifecycle, guard));
  if (services.stripeWebhook !== undefined) {
    // Authenticated by Stripe's signature, not a bearer token: no auth guard and no per-subject rate limit.
    app.route('/api/webhooks', createStripeWebhookRoutes({ webhook: services.stripeWebhook, bodyLimitBytes: config.http.bodyLimitBytes }));
  }
  mountApiDocs(app, API_VERSION);
  return app;
}
