import type { OperationMarker } from '../domain/tenant-record.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import { changeIntent } from './change-intent.ts';
import { mayAdvanceMarker } from './transitions.ts';

/**
 * Records a job's progress on the tenant's operation marker, only while the marker names that job
 * (an older job finishing late never overwrites a newer request's marker) and only along the
 * marker's transitions (a completed job run again never makes a live tenant read as failed).
 * Resolves whether it was written.
 */
export async function recordMarker(tenants: Pick<TenantStore, 'read' | 'write'>, tenantId: string, marker: OperationMarker): Promise<boolean> {
  const outcome = await changeIntent(tenants, tenantId, (tenant) => {
    const current = tenant.operation;
    if (current && current.jobId !== marker.jobId) return { result: false };
    if (current && !mayAdvanceMarker(current.state, marker.state)) return { result: false };
    // The reason the request was recorded with stays with it through the job's progress.
    const next = current?.reason && !marker.reason ? { ...marker, reason: current.reason } : marker;
    return { change: { operation: next }, result: true };
  });
  return outcome?.result ?? false;
}
