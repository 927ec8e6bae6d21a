import { randomUUID } from 'node:crypto';
import type { UpdateRequest } from '../domain/provision-request.ts';
import { releaseFor } from '../domain/tenant-id.ts';
import type { DesiredState, OperationMarker, TenantRecord } from '../domain/tenant-record.ts';
import { changeIntent, type IntentChange, type TenantIntents } from '../kubernetes/tenant-intents.ts';
import { planUpdate, sameDesired } from './desired-change.ts';
import type { JobProducer } from '../jobs/job-producer.ts';
import { ChangeRejectedError, TenantConflictError, TenantNotFoundError } from './errors.ts';
import { preflightUpdate, type PreflightDeps } from './preflight.ts';

export type LifecycleDeps = PreflightDeps & {
  intents: TenantIntents;
  producer: JobProducer;
  now?: () => Date;
  newJobId?: () => string;
};

type LifecycleOperation = 'update' | 'hibernate' | 'resume' | 'deprovision';

/** What `202 Accepted` needs. `replayed`: an equal request was already pending; this is its job. */
export type LifecycleAccepted = {
  jobId: string;
  tenantId: string;
  namespace: string;
  operation: LifecycleOperation;
  state: 'queued' | 'active';
  replayed: boolean;
};

/** A fixed job id makes a repeated request (two sweeps at once) one job: BullMQ ignores a second add. */
export type IntakeOptions = { jobId?: string };

type Target = { desired: DesiredState; expiresAt?: string | null } | undefined;

const pending = (m: OperationMarker | null): m is OperationMarker => m !== null && (m.state === 'queued' || m.state === 'active');

/**
 * Records the request as the tenant's intent (desired state and operation marker, written with
 * the namespace's resourceVersion as precondition), then queues the job. Intent first: if Redis
 * loses the job, the reconciler finds the marker without a job and queues it again under the same id.
 */
async function submit(deps: LifecycleDeps, tenantId: string, operation: LifecycleOperation, target: (t: TenantRecord) => Promise<Target>, options: IntakeOptions) {
  const jobId = options.jobId ?? (deps.newJobId ?? randomUUID)();
  const at = (deps.now?.() ?? new Date()).toISOString();
  const outcome = await changeIntent(deps.intents, tenantId, async (tenant) => {
    const marker = tenant.operation;
    const removing = tenant.terminating || (pending(marker) && marker.type === 'deprovision');
    if (removing && pending(marker) && marker.type === 'deprovision' && operation === 'deprovision') return { result: marker };
    if (removing) throw new TenantConflictError(tenantId, 'deprovisioning', `Tenant ${tenantId} is being removed`);
    if (marker?.jobId === jobId) return { result: marker };
    const next = await target(tenant);
    if (pending(marker) && marker.type === operation && (!next || sameDesired(next.desired, tenant.desired))) return { result: marker };
    const change: IntentChange = { operation: { type: operation, jobId, state: 'queued', at } };
    if (next) change.desired = next.desired;
    if (next?.expiresAt !== undefined) change.expiresAt = next.expiresAt;
    return { change, result: change.operation! };
  });
  if (!outcome) throw new TenantNotFoundError(tenantId);
  const marker = outcome.result;
  const { tenant } = outcome.before;
  const accepted: LifecycleAccepted = {
    jobId: marker.jobId, tenantId, namespace: tenant.namespace, operation,
    state: marker.state === 'active' ? 'active' : 'queued', replayed: !outcome.written,
  };
  // A replay is not queued again unless the caller fixed the id (then adding again is a no-op, or recreates a lost job).
  if (!outcome.written && options.jobId === undefined) return accepted;
  const payload = { tenantId, namespace: tenant.namespace, release: releaseFor(deps.config.platform.releasePrefix, tenantId), requestedAt: marker.at };
  try {
    await deps.producer.enqueue(operation, payload, marker.jobId);
  } catch (error) {
    // Undo only if nothing changed since our write; otherwise the reconciler finishes what we began.
    if (outcome.written) {
      const { desired, operation: previous, expiresAt } = tenant;
      await deps.intents.write(tenantId, outcome.resourceVersion, { desired, operation: previous, expiresAt }).catch(() => undefined);
    }
    throw error;
  }
  return accepted;
}

/**
 * `PUT /api/provisioning/{tenantId}`: change tier, custom domain (null removes it) and resource
 * overrides. Refuses with ChangeRejectedError what the preflight finds impossible, TenantNotFoundError
 * for no tenant, TenantConflictError while it is being removed. Demo to a paid tier clears the expiry.
 */
export async function requestUpdate(deps: LifecycleDeps, tenantId: string, change: UpdateRequest, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submit(deps, tenantId, 'update', async (tenant) => {
    const plan = planUpdate(deps.config, tenant, change);
    if (plan.refusals.length > 0) throw new ChangeRejectedError(tenantId, plan.refusals);
    const unchanged = sameDesired(plan.desired, tenant.desired) && plan.expiresAt === tenant.expiresAt;
    const reasons = unchanged ? [] : await preflightUpdate(deps, tenant, plan.desired, plan.expiresAt);
    if (reasons.length > 0) throw new ChangeRejectedError(tenantId, reasons);
    return { desired: plan.desired, expiresAt: plan.expiresAt };
  }, options);
}

/** `POST /api/provisioning/{tenantId}/hibernate`: API and Web to zero, the database hibernated, volumes kept. */
export async function requestHibernate(deps: LifecycleDeps, tenantId: string, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submit(deps, tenantId, 'hibernate', async (t) => ({ desired: { ...t.desired, hibernated: true } }), options);
}

/** `POST /api/provisioning/{tenantId}/resume`: the tier's replicas again and the database woken. */
export async function requestResume(deps: LifecycleDeps, tenantId: string, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submit(deps, tenantId, 'resume', async (t) => ({ desired: { ...t.desired, hibernated: false } }), options);
}

/** Removal (the expiry sweep uses it; asking again while one is pending returns that job). */
export async function requestDeprovision(deps: LifecycleDeps, tenantId: string, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submit(deps, tenantId, 'deprovision', async () => undefined, options);
}

/** A converge to the unchanged desired state, for drift the reconciler found; its id is fixed per observed state. */
export async function requestRepair(deps: LifecycleDeps, tenantId: string, options: Required<IntakeOptions>): Promise<LifecycleAccepted> {
  return submit(deps, tenantId, 'update', async (t) => ({ desired: t.desired }), options);
}
