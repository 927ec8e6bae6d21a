import { TenantConflictError } from '../domain/errors.ts';
import type { OperationMarker, OperationType, TenantRecord } from '../domain/tenant-record.ts';
import { nominalTenantPhase, type TenantPhase } from './phases.ts';

type MarkerState = OperationMarker['state'];

/**
 * How one job's marker may move. `completed` is final: a completed job that runs again (a stall
 * redelivery, "Retry" in Bull Board) must not make a live tenant read as provisioning or failed,
 * and its compensation must see that the job once succeeded. A failed job may be retried.
 */
const MARKER_TRANSITIONS: Readonly<Record<MarkerState, readonly MarkerState[]>> = {
  queued: ['queued', 'active', 'completed', 'failed'],
  active: ['active', 'completed', 'failed'],
  failed: ['failed', 'active'],
  completed: ['completed'],
};

/** What the intake does with a request for an operation, given what the tenant is doing now. */
export type IntakeVerdict = 'accept' | 'replay' | 'refuse';

/**
 * What the intake is asked for: an operation (a job follows) or a change of intent alone, with no
 * job because nothing the release renders changes: `pin` (the version rollouts must leave the tenant
 * on), `labels` (the tenant's own labels, namespace metadata) and `template` (the mark clones start
 * from); or `backup`, a job beside the
 * tenant's operation that records no intent; or `export`, a job that records no intent either.
 */
export type IntakeRequest = OperationType | 'pin' | 'labels' | 'template' | 'backup' | 'export';

const ALIVE: Readonly<Record<IntakeRequest, IntakeVerdict>> = {
  provision: 'refuse',
  purge: 'accept',
  undelete: 'refuse',
  update: 'accept',
  hibernate: 'accept',
  resume: 'accept',
  rollback: 'accept',
  restore: 'accept',
  deprovision: 'accept',
  pin: 'accept',
  labels: 'accept',
  template: 'accept',
  backup: 'accept',
  export: 'accept',
};

/**
 * The intake's table, by the tenant's phase (src/lifecycle/phases.ts): a tenant being removed
 * accepts nothing but the removal it already has; any other tenant accepts every operation (the
 * worker coalesces queued changes to the latest intent, and a failed one is replaced by the next
 * request). A provision is never accepted for a tenant that exists: its id is taken.
 */
export const INTAKE_TRANSITIONS: Readonly<Record<TenantPhase, Readonly<Record<IntakeRequest, IntakeVerdict>>>> = {
  provisioning: ALIVE,
  ready: ALIVE,
  degraded: ALIVE,
  hibernated: ALIVE,
  failed: ALIVE,
  /**
   * A closed account (offboarding.ts), also when its close or purge failed: it can be reopened,
   * purged, or closed again (a close whose final backup failed is retried); nothing else runs on it.
   */
  closed: {
    provision: 'refuse',
    purge: 'accept',
    undelete: 'accept',
    update: 'refuse',
    hibernate: 'refuse',
    resume: 'refuse',
    rollback: 'refuse',
    restore: 'refuse',
    deprovision: 'accept',
    pin: 'refuse',
    labels: 'refuse',
    template: 'refuse',
    backup: 'refuse',
    // The customer's data, handed out within the window (the database is woken for it).
    export: 'accept',
  },
  deprovisioning: {
    provision: 'refuse',
    // `force` takes over from a close under way (its next destructive call sees the new intent and stops).
    purge: 'accept',
    undelete: 'refuse',
    update: 'refuse',
    hibernate: 'refuse',
    resume: 'refuse',
    rollback: 'refuse',
    restore: 'refuse',
    deprovision: 'replay',
    pin: 'refuse',
    labels: 'refuse',
    template: 'refuse',
    backup: 'refuse',
    export: 'refuse',
  },
};

export const isPending = (m: OperationMarker | null | undefined): m is OperationMarker => !!m && (m.state === 'queued' || m.state === 'active');

/**
 * The verdict for `operation` on `tenant` as its record shows it (readiness does not change it). A
 * closed account whose last operation failed is still closed: a failure does not reopen it.
 */
export function intakeVerdict(tenant: Pick<TenantRecord, 'terminating' | 'operation' | 'desired'>, operation: IntakeRequest): IntakeVerdict {
  const phase = nominalTenantPhase(tenant);
  return INTAKE_TRANSITIONS[tenant.desired.closed && phase === 'failed' ? 'closed' : phase][operation];
}

/** The 409 for a request the table refuses, saying why in the tenant's own terms. */
export function refusal(tenant: Pick<TenantRecord, 'tenantId' | 'desired'>, operation: IntakeRequest): TenantConflictError {
  const { tenantId, desired } = tenant;
  if (operation === 'undelete' && !desired.closed)
    return new TenantConflictError(tenantId, 'not-closed', `Tenant ${tenantId} is not closed: there is nothing to undelete`);
  if (desired.closed && operation !== 'undelete') {
    return new TenantConflictError(tenantId, 'closed', `Tenant ${tenantId} is closed (kept until ${desired.closed.purgeAfter}): undelete it first`);
  }
  return new TenantConflictError(tenantId, 'deprovisioning', `Tenant ${tenantId} is being removed`);
}

export function mayAdvanceMarker(from: MarkerState, to: MarkerState): boolean {
  return MARKER_TRANSITIONS[from].includes(to);
}
