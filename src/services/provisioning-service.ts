import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import type { Config } from '../config/config.schema.ts';
import { ConflictError, IdempotencyMismatchError } from '../domain/errors.ts';
import type { ProvisionRequest } from '../domain/provision-request.ts';
import { generateTenantId } from '../domain/tenant-id.ts';
import type { OperationReason } from '../domain/tenant-record.ts';
import type { JobProducer } from '../jobs/job-producer.ts';
import type { DomainClaims } from '../kubernetes/domain-claims.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import { acceptedBody, type JobAccepted } from '../lifecycle/accepted.ts';
import { requestDeprovision, requestPurge } from '../lifecycle/intake.ts';
import { requestProvision, type ProvisionIntakeDeps, type ProvisionPlan } from '../lifecycle/provision-intake.ts';
import { budget, withDeadline } from './deadline.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall, REDIS_DEADLINE_MS, unavailable } from './dependency.ts';
import { fingerprintOf } from '../domain/fingerprint.ts';
import type { IdempotencyClaim, IdempotencyStore } from './idempotency-store.ts';
import type { RedisCommands } from './redis-commands.ts';

export type ProvisioningDeps = {
  config: Config;
  registry: TenantStore;
  producer: JobProducer;
  redis: RedisCommands;
  idempotency: IdempotencyStore;
  claims?: Pick<DomainClaims, 'claim' | 'release'> | undefined;
  /** A clone's source's backups (cloneFrom); absent: clones are refused. */
  backups?: ProvisionIntakeDeps['backups'];
  randomHex?: (() => string) | undefined;
  now?: (() => Date) | undefined;
};

export type CallContext = { subject: string; logger: Logger; idempotencyKey?: string | undefined; reason?: OperationReason };
export type Accepted = { accepted: JobAccepted; replayed: boolean };

// BullMQ's add is one round trip; past this the queue is as good as down.
const ENQUEUE_DEADLINE_MS = 5_000;

export type ProvisioningService = ReturnType<typeof createProvisioningService>;

/**
 * The ids of a keyed request derive from its key, so every retry with the key (after a 503, a
 * lost answer, a crashed API replica) aims at the same tenant and job: the namespace create then
 * finds its own earlier attempt instead of making a second tenant.
 */
export function keyedPlan(request: ProvisionRequest, scope: string, key: string, reserved: readonly string[] = []): ProvisionPlan {
  const hash = createHash('sha256').update(`${scope}\n${key}`).digest('hex');
  const jobId = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
  return { tenantId: request.tenantId ?? generateTenantId(request.companyName, hash.slice(32, 38), reserved), jobId };
}

export function createProvisioningService(deps: ProvisioningDeps) {
  const randomHex = deps.randomHex ?? (() => randomBytes(3).toString('hex'));
  const { config, registry } = deps;
  const redisCall = <T>(work: Promise<T>, ms: number) => dependencyCall('Redis (the job queue)', work, ms);
  // The queue fails fast; a payload that does not parse is our bug (500), anything else means the queue is unreachable.
  const producer: JobProducer = {
    enqueue: (name, payload, jobId) =>
      withDeadline(deps.producer.enqueue(name, payload, jobId), ENQUEUE_DEADLINE_MS, 'enqueue').catch((error: unknown) => {
        throw error instanceof ZodError ? error : unavailable('Redis (the job queue)', error);
      }),
  };
  const now = deps.now;
  const provisionDeps = { config, tenants: registry, producer, claims: deps.claims, backups: deps.backups, now };

  async function claimKey(request: ProvisionRequest, context: CallContext, remainingMs: number) {
    if (context.idempotencyKey === undefined) return undefined;
    const result: IdempotencyClaim = await redisCall(deps.idempotency.claim(context.subject, context.idempotencyKey, fingerprintOf(request)), remainingMs);
    if (result.kind === 'mismatch') throw new IdempotencyMismatchError();
    if (result.kind === 'in-progress')
      throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly', { retryAfterSeconds: 1 });
    return result;
  }

  return {
    /**
     * Validated request → 202. Redis is checked (hard 2 s budget, shared with the idempotency claim)
     * before anything is created in the cluster, so an unreachable queue costs the cluster nothing.
     */
    async provision(request: ProvisionRequest, context: CallContext): Promise<Accepted> {
      const limit = budget(REDIS_DEADLINE_MS);
      const claim = await claimKey(request, context, limit.remaining());
      if (claim?.kind === 'replay') return { accepted: claim.response.body as JobAccepted, replayed: true };
      const plan =
        context.idempotencyKey !== undefined
          ? keyedPlan(request, context.subject, context.idempotencyKey, config.platform.reservedTenantIds)
          : { tenantId: request.tenantId ?? generateTenantId(request.companyName, randomHex(), config.platform.reservedTenantIds), jobId: randomUUID() };
      try {
        await redisCall(deps.redis.ping(), limit.remaining());
        const done = await dependencyCall('The Kubernetes API', requestProvision(provisionDeps, request, plan, context.reason ?? 'api'), CLUSTER_DEADLINE_MS);
        const body = acceptedBody(done);
        await claim
          ?.complete({ status: 202, body, headers: { Location: body.links.job } })
          .catch((cause: unknown) =>
            context.logger.warn({ err: cause }, 'could not store the idempotent response; a retry with this key finds the same tenant'),
          );
        context.logger.info({ tenantId: plan.tenantId, jobId: plan.jobId, tier: request.subscriptionTier, replayed: done.replayed }, 'provision queued');
        return { accepted: body, replayed: false };
      } catch (error) {
        // Safe even when the outcome is unknown: a retry with the key derives the same plan.
        await claim?.release().catch(() => undefined);
        throw error;
      }
    },

    /**
     * Removal through the one lifecycle intake (a close, then the purge after the tier's window);
     * `force`: the purge now, which only the API asks for. Asking twice returns the same job.
     */
    async deprovision(tenantId: string, context: CallContext, options: { force?: boolean } = {}): Promise<Accepted> {
      await redisCall(deps.redis.ping(), REDIS_DEADLINE_MS);
      const intake = { config, tenants: registry, producer, now };
      const request = options.force
        ? requestPurge(intake, tenantId, { reason: 'api' })
        : requestDeprovision(intake, tenantId, { reason: context.reason ?? 'api' });
      const done = await dependencyCall('The Kubernetes API', request, CLUSTER_DEADLINE_MS);
      context.logger.info({ tenantId, jobId: done.jobId, replayed: done.replayed, force: options.force === true }, 'deprovision queued');
      return { accepted: acceptedBody(done), replayed: done.replayed };
    },
  };
}
