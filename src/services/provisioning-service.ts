import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { ProblemError } from '../api/errors/problem-error.ts';
import type { Config } from '../config/config.schema.ts';
import type { ProvisionRequest } from '../domain/provision-request.ts';
import { generateTenantId, releaseFor } from '../domain/tenant-id.ts';
import type { DesiredState, OperationMarker } from '../domain/tenant-record.ts';
import type { JobName, JobPayload } from '../jobs/job-catalog.ts';
import type { JobProducer } from '../jobs/job-producer.ts';
import { isNotFound } from '../kubernetes/kube-errors.ts';
import { TenantExistsError, type TenantRegistry } from '../kubernetes/tenant-registry.ts';
import { budget, withDeadline } from './deadline.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall, REDIS_DEADLINE_MS, unavailable } from './dependency.ts';
import { fingerprintOf, type IdempotencyClaim, type IdempotencyStore } from './idempotency-store.ts';
import type { RedisCommands } from './redis-commands.ts';

/** What `202 Accepted` carries for a new job: where to poll, follow and check the tenant. */
export type JobAccepted = {
  jobId: string;
  tenantId: string;
  namespace: string;
  state: 'queued' | 'active';
  links: { job: string; events: string; status: string };
};

export type ProvisioningDeps = {
  config: Config;
  registry: TenantRegistry;
  producer: JobProducer;
  redis: RedisCommands;
  idempotency: IdempotencyStore;
  randomHex?: (() => string) | undefined;
  now?: (() => Date) | undefined;
};

export type CallContext = { subject: string; logger: Logger; idempotencyKey?: string | undefined };
export type Accepted = { accepted: JobAccepted; replayed: boolean };

// BullMQ's add is one round trip; past this the queue is as good as down.
const ENQUEUE_DEADLINE_MS = 5_000;
const DAY_MS = 24 * 3600 * 1000;

export type ProvisioningService = ReturnType<typeof createProvisioningService>;

export function createProvisioningService(deps: ProvisioningDeps) {
  const randomHex = deps.randomHex ?? (() => randomBytes(3).toString('hex'));
  const now = deps.now ?? (() => new Date());
  const { config, registry } = deps;

  const accepted = (jobId: string, tenantId: string, state: JobAccepted['state'] = 'queued'): JobAccepted => ({
    jobId,
    tenantId,
    namespace: registry.namespaceOf(tenantId),
    state,
    links: { job: `/api/jobs/${jobId}`, events: `/api/jobs/${jobId}/events`, status: `/api/provisioning/${tenantId}/status` },
  });

  const redisCall = <T>(work: Promise<T>, ms: number) => dependencyCall('Redis (the job queue)', work, ms);

  async function enqueue<N extends JobName>(name: N, payload: JobPayload<N>, jobId: string) {
    try {
      await withDeadline(deps.producer.enqueue(name, payload, jobId), ENQUEUE_DEADLINE_MS, 'enqueue');
    } catch (error) {
      // A payload that does not parse is our bug (500); anything else means the queue is unreachable.
      throw error instanceof ZodError ? error : unavailable('Redis (the job queue)', error);
    }
  }

  /** Records the tenant's intent in the cluster and queues its provision job. */
  async function intake(request: ProvisionRequest, logger: Logger): Promise<JobAccepted> {
    const tier = config.tiers[request.subscriptionTier];
    const tenantId = request.tenantId ?? generateTenantId(request.companyName, randomHex());
    const at = now();
    const expiresAt = tier.expiresAfterDays === null ? null : new Date(at.getTime() + tier.expiresAfterDays * DAY_MS).toISOString();
    const jobId = randomUUID();
    const desired: DesiredState = {
      tier: request.subscriptionTier,
      customDomain: request.customDomain ?? null,
      resourceOverrides: request.resourceOverrides ?? {},
      hibernated: false,
    };
    const facts = {
      companyName: request.companyName,
      ownerEmail: request.ownerEmail,
      ownerName: `${request.ownerFirstName} ${request.ownerLastName}`,
      stripeCustomerId: request.stripeCustomerId ?? null,
      stripeSubscriptionId: request.stripeSubscriptionId ?? null,
      expiresAt,
    };
    const created = registry.create({
      tenantId, ...facts, customDomain: desired.customDomain, desired,
      operation: { type: 'provision', jobId, state: 'queued', at: at.toISOString() },
    });
    await dependencyCall(
      'The Kubernetes API',
      created.catch((error: unknown) => {
        if (!(error instanceof TenantExistsError)) throw error;
        throw new ProblemError('conflict', { detail: `Tenant ${tenantId} already exists`, errors: [{ path: 'tenantId', message: 'is already taken' }] });
      }),
      CLUSTER_DEADLINE_MS,
    );
    const namespace = registry.namespaceOf(tenantId);
    try {
      await enqueue('provision', {
        tenantId, namespace, release: releaseFor(config.platform.releasePrefix, tenantId), requestedAt: at.toISOString(), desired, ...facts,
      }, jobId);
    } catch (error) {
      // Nothing half-created: a namespace no job will ever converge must not stay behind.
      await registry.delete(tenantId).catch((cause: unknown) =>
        logger.error({ err: cause, tenantId }, 'could not remove the namespace of a provision that was not queued'));
      throw error;
    }
    logger.info({ tenantId, jobId, tier: request.subscriptionTier }, 'provision queued');
    return accepted(jobId, tenantId);
  }

  return {
    /**
     * Validated request → 202. Redis is checked (hard 2 s budget, shared with the idempotency claim)
     * before anything is created in the cluster, so an unreachable queue costs the cluster nothing.
     */
    async provision(request: ProvisionRequest, context: CallContext): Promise<Accepted> {
      const limit = budget(REDIS_DEADLINE_MS);
      let claim: Extract<IdempotencyClaim, { kind: 'claimed' }> | undefined;
      if (context.idempotencyKey !== undefined) {
        const result = await redisCall(deps.idempotency.claim(context.subject, context.idempotencyKey, fingerprintOf(request)), limit.remaining());
        if (result.kind === 'replay') return { accepted: result.response.body as JobAccepted, replayed: true };
        if (result.kind === 'mismatch') {
          throw new ProblemError('idempotency_mismatch', {
            detail: 'This Idempotency-Key was already used with a different request body; use a new key for a new request',
          });
        }
        if (result.kind === 'in-progress') {
          throw new ProblemError('conflict', {
            detail: 'A request with this Idempotency-Key is still being processed; retry shortly',
            headers: { 'Retry-After': '1' },
          });
        }
        claim = result;
      }
      try {
        await redisCall(deps.redis.ping(), limit.remaining());
        const result = await intake(request, context.logger);
        await claim?.complete({ status: 202, body: result, headers: { Location: result.links.job } }).catch((cause: unknown) =>
          context.logger.warn({ err: cause }, 'could not store the idempotent response; a retry with this key will run again'));
        return { accepted: result, replayed: false };
      } catch (error) {
        await claim?.release().catch(() => undefined);
        throw error;
      }
    },

    /** Marks the tenant as being removed, then queues its deprovision job; asking twice returns the same job. */
    async deprovision(tenantId: string, context: CallContext): Promise<Accepted> {
      const tenant = await dependencyCall('The Kubernetes API', registry.get(tenantId), CLUSTER_DEADLINE_MS);
      if (!tenant) throw new ProblemError('not_found', { detail: `No tenant ${tenantId}` });
      const previous = tenant.operation;
      if (previous?.type === 'deprovision' && (previous.state === 'queued' || previous.state === 'active')) {
        return { accepted: accepted(previous.jobId, tenantId, previous.state), replayed: true };
      }
      await redisCall(deps.redis.ping(), REDIS_DEADLINE_MS);
      const jobId = randomUUID();
      const at = now().toISOString();
      const marker: OperationMarker = { type: 'deprovision', jobId, state: 'queued', at };
      try {
        await dependencyCall('The Kubernetes API', registry.setOperation(tenantId, marker), CLUSTER_DEADLINE_MS);
      } catch (error) {
        if (isNotFound(error)) throw new ProblemError('not_found', { detail: `No tenant ${tenantId}` });
        throw error;
      }
      try {
        await enqueue('deprovision', {
          tenantId, namespace: tenant.namespace, release: releaseFor(config.platform.releasePrefix, tenantId), requestedAt: at,
        }, jobId);
      } catch (error) {
        // Put the marker back, or the tenant would read as deprovisioning with no job behind it.
        const restore = previous ? registry.setOperation(tenantId, previous) : registry.setAnnotations(tenantId, { operation: null });
        await restore.catch((cause: unknown) => context.logger.error({ err: cause, tenantId }, 'could not restore the operation marker'));
        throw error;
      }
      context.logger.info({ tenantId, jobId }, 'deprovision queued');
      return { accepted: accepted(jobId, tenantId), replayed: false };
    },
  };
}
