// The one file that knows where the code under test lives. Re-point these imports (and the wiring
// below) at a new lifecycle core; the fakes, the scenario and the invariants do not change.
import type { Job } from 'bullmq';
import type { Config } from '../../../../src/config/config.schema.ts';
import type { TierName } from '../../../../src/domain/tiers.ts';
import { createJobProducer } from '../../../../src/jobs/job-producer.ts';
import { applySteps } from '../../../../src/billing/billing-intake.ts';
import type { BillingStep } from '../../../../src/billing/billing-decision.ts';
import { IntentConflictError, TenantExistsError, type TenantStore } from '../../../../src/kubernetes/tenant-store.ts';
import { requestHibernate, requestResume, requestRollback, requestUpdate, type LifecycleDeps } from '../../../../src/lifecycle/intake.ts';
import { createLogger } from '../../../../src/observability/logger.ts';
import { createIdempotencyStore } from '../../../../src/services/idempotency-store.ts';
import { followJobEvents } from '../../../../src/services/job-event-stream.ts';
import { createProvisioningService } from '../../../../src/services/provisioning-service.ts';
import { createJobProcessor } from '../../../../src/worker/job-processor.ts';
import { sweepExpired } from '../../../../src/worker/sweeps/expiry-sweep.ts';
import { reconcileTenants } from '../../../../src/worker/sweeps/reconcile-sweep.ts';
import { FakeRedis } from '../../api/support/fake-redis.ts';
import type { FakeCluster } from './fake-cluster.ts';
import { FakeHelm } from './fake-helm.ts';
import { fakeKube, fakeWorkloads } from './fake-kube.ts';
import type { FakeQueue } from './fake-queue.ts';
import { historyModel, leasesModel } from './fake-redis-ports.ts';
import { FakeTenantStore } from './fake-tenant-store.ts';

/** What a scenario's provision request says. */
export type ProvisionInput = {
  tenantId: string;
  tier: TierName;
  customDomain: string | null;
  stripe: { customerId: string; subscriptionId: string } | null;
};

/** The entry points a scenario drives, each the real code path over the fakes. */
export type System = {
  http: {
    provision(input: ProvisionInput): Promise<unknown>;
    update(tenantId: string, change: { tier?: TierName; customDomain?: string | null }): Promise<unknown>;
    hibernate(tenantId: string): Promise<unknown>;
    resume(tenantId: string): Promise<unknown>;
    deprovision(tenantId: string): Promise<unknown>;
    /** `PUT …/{tenantId}` with only `appVersion`: a blue-green release. */
    release(tenantId: string, appVersion: string): Promise<unknown>;
    /** `POST /api/tenants/{tenantId}/rollback`. */
    rollback(tenantId: string): Promise<unknown>;
  };
  /** Billing's actions after a Stripe event was decided: the path from the webhook into the intake. */
  billing: {
    changeTier(tenantId: string, tier: TierName, eventId: string): Promise<unknown>;
    link(tenantId: string, ids: { customerId: string; subscriptionId: string }, eventId: string): Promise<unknown>;
    hibernate(tenantId: string, eventId: string): Promise<unknown>;
    resume(tenantId: string, eventId: string): Promise<unknown>;
    cancel(tenantId: string, eventId: string): Promise<unknown>;
  };
  sweeps: { expiry(): Promise<unknown>; reconcile(): Promise<unknown> };
  /** The BullMQ processor of the operations worker. */
  process(job: Job, token: string, signal: AbortSignal): Promise<unknown>;
  /** Follows a job's events as the SSE route does. */
  sse: typeof followJobEvents;
  history: ReturnType<typeof historyModel>;
  leases: ReturnType<typeof leasesModel>;
};

const context = (logger: ReturnType<typeof createLogger>) => ({ subject: 'scenario', logger });

export function buildSystem(cluster: FakeCluster, queue: FakeQueue, config: Config): System {
  const world = cluster.world;
  const logger = createLogger({ level: 'silent', pretty: false });
  const store = new FakeTenantStore(cluster, config.platform.namespacePrefix, { conflict: IntentConflictError, exists: TenantExistsError });
  const helm = new FakeHelm(cluster);
  const kube = fakeKube(cluster, config);
  const workloads = fakeWorkloads(cluster, config);
  const history = historyModel(world);
  const leases = leasesModel(world, config.queue.tenantLease.ttlMs);
  const producer = createJobProducer(queue.asQueue(), { attempts: config.queue.attempts, backoff: config.queue.backoff });
  const redis = new FakeRedis();
  const tenants = store as unknown as TenantStore;
  const lifecycle: LifecycleDeps = { config, tenants, producer, helm, workloads };
  const provisioning = createProvisioningService({
    config,
    registry: tenants,
    producer,
    redis: redis.asCommands(),
    idempotency: createIdempotencyStore(redis.asCommands(), { prefix: 'idem' }),
  });
  // Billing's own step runner after a Stripe event was decided: the path from the webhook into the core.
  const billingDeps = {
    lifecycle: { ...lifecycle, tenants },
    schedules: { schedule: async () => undefined, cancel: async () => undefined },
    now: () => new Date(),
  };
  const billingStep = (step: BillingStep, eventId: string) => applySteps(billingDeps, [step], async () => undefined, { eventId, logger });
  const processor = createJobProcessor({ config, logger, kube, tenants, workloads, helm, history: history.history, leases });

  return {
    http: {
      provision: (input) =>
        provisioning.provision(
          {
            tenantId: input.tenantId,
            companyName: `Company ${input.tenantId}`,
            ownerEmail: 'owner@example.com',
            ownerFirstName: 'Ada',
            ownerLastName: 'Lovelace',
            subscriptionTier: input.tier,
            ...(input.customDomain ? { customDomain: input.customDomain } : {}),
            ...(input.stripe ? { stripeCustomerId: input.stripe.customerId, stripeSubscriptionId: input.stripe.subscriptionId } : {}),
          },
          context(logger),
        ),
      update: (tenantId, change) =>
        requestUpdate(lifecycle, tenantId, {
          ...(change.tier ? { subscriptionTier: change.tier } : {}),
          ...(change.customDomain !== undefined ? { customDomain: change.customDomain } : {}),
        }),
      hibernate: (tenantId) => requestHibernate(lifecycle, tenantId),
      resume: (tenantId) => requestResume(lifecycle, tenantId),
      deprovision: (tenantId) => provisioning.deprovision(tenantId, context(logger)),
      release: (tenantId, appVersion) => requestUpdate(lifecycle, tenantId, { appVersion }),
      rollback: (tenantId) => requestRollback(lifecycle, tenantId),
    },
    billing: {
      changeTier: (tenantId, tier, eventId) => billingStep({ type: 'update', tenantId, tier, clearExpiry: true }, eventId),
      link: (tenantId, ids, eventId) => billingStep({ type: 'link', tenantId, customerId: ids.customerId, subscriptionId: ids.subscriptionId }, eventId),
      hibernate: (tenantId, eventId) => billingStep({ type: 'hibernate', tenantId, reason: 'payment-past-due', schedule: null }, eventId),
      resume: (tenantId, eventId) => billingStep({ type: 'resume', tenantId }, eventId),
      cancel: (tenantId, eventId) => billingStep({ type: 'deprovision', tenantId, schedule: { key: `cancel-${tenantId}`, notBefore: new Date(0) } }, eventId),
    },
    sweeps: {
      expiry: () => sweepExpired({ ...lifecycle, logger }),
      reconcile: () => reconcileTenants({ ...lifecycle, workloads, kube, leases, queue: queue.asQueue(), logger }),
    },
    process: (job, token, signal) => processor(job, token, signal),
    sse: followJobEvents,
    history,
    leases,
  };
}
