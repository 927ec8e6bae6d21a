import { randomUUID } from 'node:crypto';
import { TenantConflictError, TenantNotFoundError } from '../domain/errors.ts';
import type { UpdateRequest } from '../domain/provision-request.ts';
import { sameLabels, type TenantLabels } from '../domain/tenant-labels.ts';
import type { DesiredState, OperationMarker, OperationReason, TenantRecord } from '../domain/tenant-record.ts';
import type { JobProducer } from '../jobs/job-producer.ts';
import type { DomainClaims } from '../kubernetes/domain-claims.ts';
import type { IntentChange, TenantStore } from '../kubernetes/tenant-store.ts';
import { rolledBack, windowExpired, withoutWindow } from './blue-green.ts';
import { changeIntent } from './change-intent.ts';
import { planUpdate, sameDesired } from './desired-change.ts';
import { ChangeRejectedError } from '../domain/errors.ts';
import { IntentLapsedError } from './errors.ts';
import { expiryStillDemands } from './expiry.ts';
import { closedDesired, purgeDue, reopenedDesired } from './offboarding.ts';
import { preflightUpdate, type PreflightDeps } from './preflight.ts';
import { tenantRef } from './tenant-ref.ts';
import { intakeVerdict, isPending, refusal } from './transitions.ts';

/** What recording an intent needs; an update's preflight needs more (LifecycleDeps). */
export type IntakeDeps = {
  config: PreflightDeps['config'];
  tenants: Pick<TenantStore, 'read' | 'write' | 'all' | 'findBy' | 'backfillIndex'>;
  producer: JobProducer;
  now?: (() => Date) | undefined;
  newJobId?: () => string;
};
export type LifecycleDeps = IntakeDeps &
  PreflightDeps & {
    /** Custom-domain ownership; absent only where no request can carry a custom domain (some tests). */
    claims?: Pick<DomainClaims, 'claim' | 'release'> | undefined;
  };

export type LifecycleOperation = 'update' | 'hibernate' | 'resume' | 'rollback' | 'restore' | 'deprovision' | 'purge' | 'undelete';

/** What `202 Accepted` needs. `replayed`: an equal request was already pending; this is its job. */
export type LifecycleAccepted = {
  jobId: string;
  tenantId: string;
  namespace: string;
  operation: LifecycleOperation | 'provision' | 'backup' | 'export';
  state: 'queued' | 'active';
  replayed: boolean;
};

/**
 * `jobId`: a fixed id makes a repeated request (two sweeps at once) one job, as BullMQ ignores a
 * second add. `reason`: who asks; an `expiry` request is recorded only while the expiry still
 * demands it, decided inside the same conditional write. `render: false` (a fleet rollout's own
 * requests): the update's preflight does not render the chart, which the job's upgrade renders and
 * the API server validates anyway; with no client waiting for a 422, that second Helm child per
 * tenant only lengthened the rollout, and a tenant whose render fails fails its job instead.
 */
export type IntakeOptions = { jobId?: string; reason?: OperationReason; render?: boolean };

/** What the operation is to leave the tenant at; `labels`: its whole new label set, recorded with the intent. */
type Target = { desired: DesiredState; expiresAt?: string | null; labels?: TenantLabels } | undefined;

/**
 * Records the request as the tenant's intent (desired state and operation marker, written with
 * the namespace's resourceVersion as precondition), then queues the job. Intent first: if Redis
 * loses the job, the reconciler finds the marker without a job and queues it again under the same id.
 */
export async function submitOperation(
  deps: IntakeDeps,
  tenantId: string,
  operation: LifecycleOperation,
  target: (t: TenantRecord) => Promise<Target>,
  options: IntakeOptions,
) {
  const jobId = options.jobId ?? (deps.newJobId ?? randomUUID)();
  const now = deps.now?.() ?? new Date();
  let next: Target;
  const outcome = await changeIntent(deps.tenants, tenantId, async (tenant) => {
    const marker = tenant.operation;
    const verdict = intakeVerdict(tenant, operation);
    if (verdict === 'replay' && isPending(marker) && marker.type === operation) return { result: marker };
    if (verdict !== 'accept') throw refusal(tenant, operation);
    if (marker?.jobId === jobId) return { result: marker };
    if (options.reason === 'expiry' && (operation === 'hibernate' || operation === 'deprovision') && !expiryStillDemands(deps.config, tenant, operation, now)) {
      throw new IntentLapsedError(tenantId, `its expiry no longer calls for ${operation} (expires at ${tenant.expiresAt ?? 'never'})`);
    }
    next = await target(tenant);
    const labels = next?.labels;
    const relabel = labels !== undefined && !sameLabels(tenant.labels ?? {}, labels);
    if (isPending(marker) && marker.type === operation && !relabel && (!next || sameDesired(next.desired, tenant.desired))) return { result: marker };
    const operationMarker: OperationMarker = {
      type: operation,
      jobId,
      state: 'queued',
      at: now.toISOString(),
      ...(options.reason ? { reason: options.reason } : {}),
    };
    const change: IntentChange = { operation: operationMarker };
    if (next) change.desired = next.desired;
    if (next?.expiresAt !== undefined) change.expiresAt = next.expiresAt;
    if (relabel) change.labels = { from: tenant.labels ?? {}, to: labels };
    return { change, result: operationMarker };
  });
  if (!outcome) throw new TenantNotFoundError(tenantId);
  const marker = outcome.result;
  const { tenant } = outcome.before;
  const accepted: LifecycleAccepted = {
    jobId: marker.jobId,
    tenantId,
    namespace: tenant.namespace,
    operation,
    state: marker.state === 'active' ? 'active' : 'queued',
    replayed: !outcome.written,
  };
  // A replay is not queued again unless the caller fixed the id (then adding again is a no-op, or recreates a lost job).
  if (!outcome.written && options.jobId === undefined) return accepted;
  const { namespace, release } = tenantRef(deps.config, tenantId);
  try {
    await deps.producer.enqueue(operation, { tenantId, namespace, release, requestedAt: marker.at }, marker.jobId);
  } catch (error) {
    if (outcome.written) await withdraw(deps, tenantId, marker, tenant, next);
    throw error;
  }
  return accepted;
}

/**
 * Takes back an intent whose job could not be queued, so a caller told 503 never sees it carried
 * out later (a removal least of all). Decided again on the tenant as it is now: only while the
 * marker is still ours and queued (no job of it has started), and the desired state only while it
 * is still what we wrote, so an unrelated write since (billing linking ids) neither blocks the
 * withdrawal nor is undone by it.
 */
async function withdraw(deps: IntakeDeps, tenantId: string, ours: OperationMarker, before: TenantRecord, wrote: Target) {
  await changeIntent(deps.tenants, tenantId, (t) => {
    if (t.operation?.jobId !== ours.jobId || t.operation.state !== 'queued') return { result: undefined };
    const change: IntentChange = { operation: before.operation };
    if (wrote && sameDesired(t.desired, wrote.desired)) change.desired = before.desired;
    if (wrote?.expiresAt !== undefined && t.expiresAt === wrote.expiresAt) change.expiresAt = before.expiresAt;
    if (wrote?.labels && sameLabels(t.labels ?? {}, wrote.labels)) change.labels = { from: wrote.labels, to: before.labels ?? {} };
    return { change, result: undefined };
  }).catch(() => undefined);
}

/**
 * `PUT /api/provisioning/{tenantId}`: change tier, custom domain (null removes it) and resource
 * overrides; new labels are recorded in the same conditional write as the intent (an update of
 * labels alone is `requestLabels`, which queues no job). Refuses with ChangeRejectedError what the
 * preflight finds impossible, TenantNotFoundError for no tenant, TenantConflictError while it is
 * being removed. Demo to a paid tier clears the expiry.
 */
export async function requestUpdate(deps: LifecycleDeps, tenantId: string, change: UpdateRequest, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  // A new custom domain is claimed atomically before the intent that names it is recorded, and
  // the old one is released once the new intent is: two tenants never share a host.
  let claimed: string | undefined;
  let replaced: string | null = null;
  const accepted = await submitOperation(
    deps,
    tenantId,
    'update',
    async (tenant) => {
      const plan = planUpdate(deps.config, tenant, change);
      if (plan.refusals.length > 0) throw new ChangeRejectedError(tenantId, plan.refusals);
      const unchanged = sameDesired(plan.desired, tenant.desired) && plan.expiresAt === tenant.expiresAt;
      const reasons = unchanged ? [] : await preflightUpdate(deps, tenant, plan.desired, plan.expiresAt, { render: options.render ?? true });
      if (reasons.length > 0) throw new ChangeRejectedError(tenantId, reasons);
      const host = plan.desired.customDomain;
      replaced = tenant.desired.customDomain !== host ? tenant.desired.customDomain : null;
      if (host && host !== tenant.desired.customDomain && deps.claims) {
        const outcome = await deps.claims.claim(host, tenantId);
        if (typeof outcome === 'object')
          throw new ChangeRejectedError(tenantId, [{ path: 'customDomain', message: `is already used by tenant ${outcome.ownedBy}` }]);
        if (outcome === 'claimed') claimed = host;
      }
      return { desired: plan.desired, expiresAt: plan.expiresAt, ...(change.labels ? { labels: change.labels } : {}) };
    },
    options,
  ).catch(async (error: unknown) => {
    if (claimed) await deps.claims?.release(claimed, tenantId).catch(() => undefined);
    throw error;
  });
  if (replaced && !accepted.replayed) await deps.claims?.release(replaced, tenantId).catch(() => undefined);
  return accepted;
}

/** `POST /api/provisioning/{tenantId}/hibernate`: API and Web to zero, the database hibernated, volumes kept. */
export async function requestHibernate(deps: IntakeDeps, tenantId: string, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submitOperation(deps, tenantId, 'hibernate', async (t) => ({ desired: { ...t.desired, hibernated: true } }), options);
}

/** `POST /api/provisioning/{tenantId}/resume`: the tier's replicas again and the database woken. */
export async function requestResume(deps: IntakeDeps, tenantId: string, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submitOperation(deps, tenantId, 'resume', async (t) => ({ desired: { ...t.desired, hibernated: false } }), options);
}

/**
 * Removal, from every source (HTTP, billing, expiry): the account is closed (offboarding.ts), kept
 * for its tier's retention window, then purged. Asking again while one is pending returns that job;
 * asking again after a close failed (its final backup) closes again.
 */
export async function requestDeprovision(deps: IntakeDeps, tenantId: string, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  const now = deps.now?.() ?? new Date();
  return submitOperation(deps, tenantId, 'deprovision', async (t) => ({ desired: closedDesired(deps.config, t, now) }), options);
}

/**
 * Removal now, without a window or a final backup: `force` from the API (billing never asks for it),
 * or `retention` from the expiry sweep once a closed account's window passed, decided again inside
 * the conditional write (an undelete since wins).
 */
export async function requestPurge(deps: IntakeDeps, tenantId: string, options: IntakeOptions & { reason: 'api' | 'retention' }): Promise<LifecycleAccepted> {
  const now = deps.now?.() ?? new Date();
  return submitOperation(
    deps,
    tenantId,
    'purge',
    async (t) => {
      if (options.reason === 'retention' && !purgeDue(t, now))
        throw new IntentLapsedError(tenantId, 'it is no longer a closed account past its retention window');
      return undefined;
    },
    options,
  );
}

/** `POST /api/tenants/{tenantId}/undelete`: a closed account back as it was before it closed, Secrets and data untouched. */
export async function requestUndelete(deps: IntakeDeps, tenantId: string, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submitOperation(deps, tenantId, 'undelete', async (t) => ({ desired: reopenedDesired(t) }), options);
}

/** A converge to the unchanged desired state, for drift the reconciler found; its id is fixed per observed state. */
export async function requestRepair(deps: IntakeDeps, tenantId: string, options: Required<Pick<IntakeOptions, 'jobId'>>): Promise<LifecycleAccepted> {
  return submitOperation(deps, tenantId, 'update', async (t) => ({ desired: t.desired }), { ...options, reason: 'reconcile' });
}

/**
 * Billing links a Stripe customer and subscription to a tenant. A conditional write like every
 * other change of intent, so it never overwrites ids linked by a newer event it did not see.
 */
export async function recordStripeIds(
  deps: { tenants: Pick<TenantStore, 'read' | 'write'> },
  tenantId: string,
  ids: { customerId: string; subscriptionId: string },
): Promise<void> {
  const outcome = await changeIntent(deps.tenants, tenantId, (tenant) =>
    tenant.stripeCustomerId === ids.customerId && tenant.stripeSubscriptionId === ids.subscriptionId
      ? { result: undefined }
      : { change: { stripe: { customerId: ids.customerId, subscriptionId: ids.subscriptionId } }, result: undefined },
  );
  if (!outcome) throw new TenantNotFoundError(tenantId);
}

/**
 * `POST /api/tenants/{tenantId}/rollback`: inside a blue-green switch window, the Services select the
 * previous slot again (no Helm, no pod started). 409 when there is no window: no switch made, the
 * previous slot scaled away, or the tenant hibernated. Asking again while one is pending returns it.
 */
export async function requestRollback(deps: IntakeDeps, tenantId: string, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submitOperation(
    deps,
    tenantId,
    'rollback',
    async (t) => {
      if (isPending(t.operation) && t.operation.type === 'rollback') return { desired: t.desired };
      const desired = rolledBack(deps.config.platform.images, t);
      if (!desired) {
        throw new TenantConflictError(
          tenantId,
          'no-switch-window',
          `Tenant ${tenantId} has no previous release running to roll back to (no switch window open, or a switch still in progress)`,
        );
      }
      return { desired };
    },
    options,
  );
}

/**
 * The reconcile sweep closing a blue-green switch window: an update to the same desired state
 * without the previous slot, whose Deployments the upgrade removes. Decided again inside the
 * conditional write, so a rollback or a new release since the sweep read the tenant is not undone.
 */
export async function requestCloseWindow(
  deps: IntakeDeps,
  tenantId: string,
  options: Required<Pick<IntakeOptions, 'jobId'>> & { now: Date; windowSeconds: number },
) {
  return submitOperation(
    deps,
    tenantId,
    'update',
    async (t) => {
      if (isPending(t.operation) || !windowExpired(t, options.now, options.windowSeconds)) {
        throw new IntentLapsedError(tenantId, 'its switch window is no longer open and due');
      }
      return { desired: withoutWindow(t.desired) };
    },
    { jobId: options.jobId, reason: 'reconcile' },
  );
}
