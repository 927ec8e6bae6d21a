import type { Config } from '../config/config.schema.ts';
import { ChangeRejectedError, ConflictError, ValidationError } from '../domain/errors.ts';
import { reservedTenantIdProblem } from '../domain/tenant-id.ts';
import type { CloneFrom, ProvisionRequest } from '../domain/provision-request.ts';
import type { DesiredState, OperationMarker, OperationReason } from '../domain/tenant-record.ts';
import type { JobProducer } from '../jobs/job-producer.ts';
import type { DomainClaims } from '../kubernetes/domain-claims.ts';
import { TenantExistsError, type TenantStore } from '../kubernetes/tenant-store.ts';
import { cloneDatabase, type CloneDeps } from './clone-intake.ts';
import type { LifecycleAccepted } from './intake.ts';
import { tenantRef } from './tenant-ref.ts';

export type ProvisionIntakeDeps = {
  config: Config;
  tenants: Pick<TenantStore, 'create' | 'read' | 'delete'>;
  producer: JobProducer;
  /** Lists a clone's source's backups; absent where no request clones (billing), which then refuses cloneFrom. */
  backups?: CloneDeps['workloads'] | undefined;
  /** Custom-domain ownership; absent only in tests that never ask for a custom domain. */
  claims?: Pick<DomainClaims, 'claim' | 'release'> | undefined;
  now?: (() => Date) | undefined;
};

/**
 * The ids a provision will use, decided by the caller before anything is written. A retry of the
 * same request (same Idempotency-Key, same Stripe event) must bring the same plan, so that a retry
 * after an unknown outcome (a 503 while the namespace was being created) finds its own tenant
 * instead of creating a second one.
 */
export type ProvisionPlan = { tenantId: string; jobId: string };

const DAY_MS = 24 * 3600 * 1000;

/**
 * Records a new tenant's intent by creating its namespace (labels and annotations carry the
 * desired state and the operation marker), then queues its provision job. Its custom domain is
 * claimed first, atomically: two tenants never share a host. A namespace that already exists with
 * this plan's job on its marker is this request's own earlier attempt, and is finished, not refused.
 */
export async function requestProvision(
  deps: ProvisionIntakeDeps,
  request: ProvisionRequest,
  plan: ProvisionPlan,
  reason: OperationReason = 'api',
): Promise<LifecycleAccepted> {
  const { config } = deps;
  const { tenantId, jobId } = plan;
  // Whatever the source (HTTP, billing), an id that would shadow a platform host is never recorded.
  const reserved = reservedTenantIdProblem(tenantId, config.platform.reservedTenantIds);
  if (reserved) throw new ValidationError(`Tenant id ${tenantId} is not allowed`, [{ path: 'tenantId', message: reserved }]);
  const ref = tenantRef(config, tenantId);
  const at = (deps.now?.() ?? new Date()).toISOString();
  const tier = config.tiers[request.subscriptionTier];
  const expiresAt = tier.expiresAfterDays === null ? null : new Date(Date.parse(at) + tier.expiresAfterDays * DAY_MS).toISOString();
  const desired: DesiredState = {
    tier: request.subscriptionTier,
    customDomain: request.customDomain ?? null,
    resourceOverrides: request.resourceOverrides ?? {},
    hibernated: false,
    ...(request.cloneFrom ? { database: await cloneDatabaseOf(deps, tenantId, request.cloneFrom, at) } : {}),
  };
  const facts = {
    companyName: request.companyName,
    ownerEmail: request.ownerEmail,
    ownerName: `${request.ownerFirstName} ${request.ownerLastName}`,
    stripeCustomerId: request.stripeCustomerId ?? null,
    stripeSubscriptionId: request.stripeSubscriptionId ?? null,
    expiresAt,
  };
  const marker: OperationMarker = { type: 'provision', jobId, state: 'queued', at, reason };

  const claimed = await claimDomain(deps, desired.customDomain, tenantId);
  let replayed = false;
  try {
    await deps.tenants.create({
      tenantId,
      ...facts,
      customDomain: desired.customDomain,
      desired,
      operation: marker,
      createdAt: at,
      labels: request.labels ?? {},
    });
  } catch (error) {
    if (!(error instanceof TenantExistsError)) throw error;
    const existing = (await deps.tenants.read(tenantId))?.tenant;
    if (existing?.operation?.type !== 'provision' || existing.operation.jobId !== jobId) {
      if (claimed === 'claimed') await deps.claims?.release(desired.customDomain!, tenantId).catch(() => undefined);
      throw new ConflictError(`Tenant ${tenantId} already exists`, { errors: [{ path: 'tenantId', message: 'is already taken' }] });
    }
    replayed = true;
  }
  try {
    await deps.producer.enqueue('provision', { ...ref, requestedAt: at, desired, ...facts }, jobId);
  } catch (error) {
    if (!replayed) await withdrawUnqueued(deps, tenantId, jobId, desired.customDomain);
    throw error;
  }
  return { jobId, tenantId, namespace: ref.namespace, operation: 'provision', state: 'queued', replayed };
}

async function cloneDatabaseOf(deps: ProvisionIntakeDeps, tenantId: string, cloneFrom: CloneFrom, at: string) {
  if (!deps.backups) throw new ChangeRejectedError(tenantId, [{ path: 'cloneFrom', message: 'is not accepted here' }]);
  return cloneDatabase({ config: deps.config, tenants: deps.tenants, workloads: deps.backups }, tenantId, cloneFrom, new Date(at));
}

async function claimDomain(deps: ProvisionIntakeDeps, host: string | null, tenantId: string) {
  if (!host || !deps.claims) return undefined;
  const outcome = await deps.claims.claim(host, tenantId);
  if (typeof outcome === 'object') {
    throw new ChangeRejectedError(tenantId, [{ path: 'customDomain', message: `is already used by tenant ${outcome.ownedBy}` }]);
  }
  return outcome;
}

/**
 * Nothing half-created: a namespace no job will ever converge must not stay behind. Removed only
 * while its marker still names this provision, queued, i.e. no job of it ever ran.
 */
async function withdrawUnqueued(deps: ProvisionIntakeDeps, tenantId: string, jobId: string, host: string | null) {
  const current = await deps.tenants.read(tenantId).catch(() => undefined);
  const m = current?.tenant.operation;
  if (!current || m?.type !== 'provision' || m.jobId !== jobId || m.state !== 'queued') return;
  // Conditioned on the version read: a request accepted for this tenant meanwhile keeps it.
  const outcome = await deps.tenants.delete(tenantId, { resourceVersion: current.resourceVersion }).catch(() => 'failed' as const);
  if (outcome === 'deleting' && host) await deps.claims?.release(host, tenantId).catch(() => undefined);
}
