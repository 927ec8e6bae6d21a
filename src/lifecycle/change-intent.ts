import type { TenantRecord } from '../domain/tenant-record.ts';
import { IntentConflictError, type IntentChange, type TenantStore, type VersionedTenant } from '../kubernetes/tenant-store.ts';

export type Decision<T> = { change?: IntentChange | undefined; result: T };

const MAX_CONFLICT_RETRIES = 5;

/**
 * Read, decide, write, and decide again on a conflict. `decide` sees the tenant as it is and returns
 * the change to make (or none); it may read (a preflight) but must not write, since it may run more
 * than once. Every condition a decision rests on is therefore checked inside the same conditional
 * write that records it. Resolves undefined when there is no such tenant.
 */
export async function changeIntent<T>(
  tenants: Pick<TenantStore, 'read' | 'write'>,
  tenantId: string,
  decide: (tenant: TenantRecord) => Decision<T> | Promise<Decision<T>>,
): Promise<{ before: VersionedTenant; result: T; resourceVersion: string; written: boolean } | undefined> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const before = await tenants.read(tenantId);
    if (!before) return undefined;
    const { change, result } = await decide(before.tenant);
    if (!change) return { before, result, resourceVersion: before.resourceVersion, written: false };
    try {
      const resourceVersion = await tenants.write(tenantId, before.resourceVersion, change);
      return { before, result, resourceVersion, written: true };
    } catch (error) {
      if (!(error instanceof IntentConflictError)) throw error;
    }
  }
  throw new IntentConflictError(tenantId);
}
