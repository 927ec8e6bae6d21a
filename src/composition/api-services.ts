import type { DryRunDeps } from '../lifecycle/dry-run.ts';
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ApiServices } from '../api/app.ts';
import type { BillingLifecycleDeps } from '../billing/billing-intake.ts';
import type { BillingSchedules } from '../billing/billing-schedules.ts';
import { createBillingWebhook } from '../billing/create-billing-webhook.ts';
import type { StripeApi } from '../billing/stripe-api.ts';
import type { Config } from '../config/config.schema.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import type { JobEventHub } from '../jobs/job-event-hub.ts';
import type { JobHistory } from '../jobs/job-history.ts';
import type { JobProducer } from '../jobs/job-producer.ts';
import type { Kubernetes } from '../kubernetes/kube-client.ts';
import { createTenantExports } from '../backup/tenant-exports.ts';
import type { DomainClaims } from '../kubernetes/domain-claims.ts';
import type { RolloutStore } from '../kubernetes/rollout-store.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import type { Logger } from '../observability/logger.ts';
import type { OutageReporter } from '../observability/outage-reporter.ts';
import { createIdempotencyStore } from '../services/idempotency-store.ts';
import { createProvisioningService } from '../services/provisioning-service.ts';
import { createRateLimiter } from '../services/rate-limiter.ts';
import { configuredTarget } from '../helm/chart-version.ts';
import type { FleetTarget } from '../domain/tenant-version.ts';

/** The adapters the API's services are built from: real clients in the process, fakes of the same interfaces in unit tests. */
export type ApiAdapters = {
  config: Config;
  logger: Logger;
  /** Tenants are namespaces. */
  registry: TenantStore;
  /** Custom-domain ownership: claimed by the intake, read by validate. */
  claims: Pick<DomainClaims, 'claim' | 'release' | 'owner'>;
  /** Fleet rollouts, recorded in the cluster (rollout-store.ts). */
  rollouts: RolloutStore;
  /** Only reads are used (status, update preflight, a rollout's health gate: readCertificate). */
  workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment' | 'readCertificate' | 'listBackups'>;
  /** status (tenant status), version (validate) and template (the update preflight): the API never installs anything. */
  helm: Pick<HelmClient, 'status' | 'version' | 'template' | 'manifest'>;
  /** core for credentials, version for /readyz and validate, batch for an export's Job. */
  kube: Pick<Kubernetes, 'core' | 'version' | 'batch'>;
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
  randomHex?: (() => string) | undefined;
  now?: (() => Date) | undefined;
  /** The process's Redis outage reporter: /readyz is not ready while it reports an outage (a read-only Redis still answers PING). */
  redisOutage?: Pick<OutageReporter, 'isDown'> | undefined;
  /** Billing's delayed actions (grace, retention); the Stripe webhook is mounted when given. */
  billingSchedules?: BillingSchedules | undefined;
  /** The version GET /api/fleet compares with; by default the configured chart's and images' (chart-version.ts). */
  fleetTarget?: (() => FleetTarget) | undefined;
  /** The Stripe API for the webhook; by default from `billing.apiKey` (none without one). */
  stripeApi?: StripeApi | null | undefined;
};

/** The Redis ping /readyz makes, refused while the process's reporter says Redis is in an outage. */
function readinessPing(redis: Pick<Redis, 'ping'>, outage: Pick<OutageReporter, 'isDown'> | undefined): Pick<Redis, 'ping'> {
  if (!outage) return redis;
  const ping = () => (outage.isDown() ? Promise.reject(new Error('an outage is under way (see the outage reporter)')) : redis.ping());
  return { ping: ping as Redis['ping'] };
}

/**
 * The API's service graph, built once: the process (startApi) and the tests (the unit harness, the
 * integration API server) call this same function, so what is tested is what runs.
 */
export function buildApiServices(adapters: ApiAdapters): ApiServices {
  const { config, registry, redis, now } = adapters;
  const randomHex = adapters.randomHex ?? (() => randomBytes(3).toString('hex'));
  const rateLimiter = createRateLimiter(redis, {
    prefix: `${config.queue.prefix}:ratelimit`,
    windowSeconds: config.http.rateLimit.windowSeconds,
    maxRequests: config.http.rateLimit.maxRequests,
    subjects: config.http.rateLimit.subjects,
    ...(now ? { now: () => now().getTime() } : {}),
  });
  const provisioning = createProvisioningService({
    config,
    registry,
    producer: adapters.producer,
    redis,
    idempotency: createIdempotencyStore(redis, { prefix: `${config.queue.prefix}:idem` }),
    claims: adapters.claims,
    backups: adapters.workloads,
    randomHex,
    now,
  });
  // The routes' update/hibernate/resume and billing's every step go through the same core intake.
  const lifecycle: BillingLifecycleDeps & DryRunDeps = {
    config,
    helm: adapters.helm,
    workloads: adapters.workloads,
    tenants: registry,
    producer: adapters.producer,
    claims: adapters.claims,
  };
  const stripeWebhook = adapters.billingSchedules
    ? createBillingWebhook({
        config,
        redis,
        lifecycle,
        schedules: adapters.billingSchedules,
        ...(adapters.stripeApi === undefined ? {} : { api: adapters.stripeApi }),
      })
    : undefined;
  return {
    rateLimiter,
    provisioning,
    lifecycle,
    rollouts: { ...lifecycle, tenants: registry, rollouts: adapters.rollouts, workloads: adapters.workloads, logger: adapters.logger, now },
    stripeWebhook,
    reads: {
      registry,
      claims: adapters.claims,
      workloads: adapters.workloads,
      helm: adapters.helm,
      kube: adapters.kube,
      queue: adapters.queue,
      history: adapters.history,
      hub: adapters.hub,
      redis: readinessPing(redis, adapters.redisOutage),
      randomHex,
      fleetTarget: adapters.fleetTarget ?? configuredTarget(config.platform),
      exports: createTenantExports({ config, kube: adapters.kube, now }),
    },
  };
}
