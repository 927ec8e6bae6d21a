import type { OperationMarker, OperationType, TenantRecord } from '../domain/tenant-record.ts';

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

/** A tenant's standing as the intake sees it: being removed, or alive. */
export type IntakeStanding = 'removing' | 'alive';

/**
 * The intake's table: a tenant being removed accepts nothing but the removal it already has; a
 * live tenant accepts every operation (the worker coalesces queued changes to the latest intent).
 */
export const INTAKE_TRANSITIONS: Readonly<Record<IntakeStanding, Readonly<Record<OperationType, IntakeVerdict>>>> = {
  removing: { provision: 'refuse', update: 'refuse', hibernate: 'refuse', resume: 'refuse', deprovision: 'replay' },
  alive: { provision: 'refuse', update: 'accept', hibernate: 'accept', resume: 'accept', deprovision: 'accept' },
};

export const isPending = (m: OperationMarker | null | undefined): m is OperationMarker => !!m && (m.state === 'queued' || m.state === 'active');

export function intakeStanding(tenant: Pick<TenantRecord, 'terminating' | 'operation'>): IntakeStanding {
  const m = tenant.operation;
  return tenant.terminating || (isPending(m) && m.type === 'deprovision') ? 'removing' : 'alive';
}

export function mayAdvanceMarker(from: MarkerState, to: MarkerState): boolean {
  return MARKER_TRANSITIONS[from].includes(to);
}
