import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import { TENANT_ANNOTATIONS as A, TENANT_LABELS as L, type DesiredState, type OperationMarker, type TenantRecord } from '../domain/tenant-record.ts';
import { isConflict, isNotFound } from './kube-errors.ts';
import { toTenantRecord } from './tenant-registry.ts';

/** A change to what a tenant should be; absent fields stay as they are, null removes. */
export type IntentChange = { desired?: DesiredState; operation?: OperationMarker | null; expiresAt?: string | null };

export type VersionedTenant = { tenant: TenantRecord; resourceVersion: string };

/** Another writer changed the namespace between our read and our write. */
export class IntentConflictError extends Error {
  constructor(tenantId: string) {
    super(`tenant ${tenantId} changed concurrently`);
    this.name = 'IntentConflictError';
  }
}

/**
 * Writes to a tenant's recorded intent (desired state, expiry, operation marker) with optimistic
 * concurrency: every write carries the resourceVersion it was decided on, so two requests that
 * read the same state cannot both win and a slower one cannot silently undo a newer one.
 */
export interface TenantIntents {
  read(tenantId: string): Promise<VersionedTenant | undefined>;
  /** Applies `change` only if the namespace is still at `resourceVersion`; returns the new version. */
  write(tenantId: string, resourceVersion: string, change: IntentChange): Promise<string>;
  /**
   * Records a job's progress on the marker only while the marker still names that job (or no job):
   * an older job finishing late never overwrites the marker of a newer request.
   */
  markOperation(tenantId: string, marker: OperationMarker): Promise<boolean>;
}

const MAX_CONFLICT_RETRIES = 5;

export function createTenantIntents(core: CoreV1Api, namespacePrefix: string): TenantIntents {
  const name = (tenantId: string) => `${namespacePrefix}${tenantId}`;

  const read = async (tenantId: string): Promise<VersionedTenant | undefined> => {
    try {
      const ns = await core.readNamespace({ name: name(tenantId) });
      const tenant = toTenantRecord(ns);
      return tenant ? { tenant, resourceVersion: ns.metadata?.resourceVersion ?? '' } : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  const write = async (tenantId: string, resourceVersion: string, change: IntentChange): Promise<string> => {
    const annotations: Record<string, string | null> = {};
    const labels: Record<string, string> = {};
    if (change.desired) {
      annotations[A.desiredState] = JSON.stringify(change.desired);
      annotations[A.customDomain] = change.desired.customDomain;
      // The tier label is what listings filter on; it follows the desired tier.
      labels[L.tier] = change.desired.tier;
    }
    if (change.operation !== undefined) annotations[A.operation] = change.operation ? JSON.stringify(change.operation) : null;
    if (change.expiresAt !== undefined) annotations[A.expiresAt] = change.expiresAt;
    // A merge patch that names a resourceVersion is rejected with 409 unless it is still current.
    const body = { metadata: { resourceVersion, annotations, ...(Object.keys(labels).length ? { labels } : {}) } };
    try {
      const ns = await core.patchNamespace({ name: name(tenantId), body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      return ns.metadata?.resourceVersion ?? '';
    } catch (error) {
      if (isConflict(error)) throw new IntentConflictError(tenantId);
      throw error;
    }
  };

  return {
    read,
    write,
    async markOperation(tenantId, marker) {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const current = await read(tenantId);
        if (!current) return false;
        const existing = current.tenant.operation;
        if (existing && existing.jobId !== marker.jobId) return false;
        try {
          await write(tenantId, current.resourceVersion, { operation: marker });
          return true;
        } catch (error) {
          if (!(error instanceof IntentConflictError)) throw error;
        }
      }
      throw new IntentConflictError(tenantId);
    },
  };
}

export type Decision<T> = { change?: IntentChange | undefined; result: T };

/**
 * Read, decide, write, and decide again on a conflict. `decide` sees the tenant as it is and returns
 * the change to make (or none); it may read (a preflight) but must not write, since it may run more
 * than once. Resolves undefined when there is no such tenant.
 */
export async function changeIntent<T>(
  intents: TenantIntents,
  tenantId: string,
  decide: (tenant: TenantRecord) => Decision<T> | Promise<Decision<T>>,
): Promise<{ before: VersionedTenant; result: T; resourceVersion: string; written: boolean } | undefined> {
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    const before = await intents.read(tenantId);
    if (!before) return undefined;
    const { change, result } = await decide(before.tenant);
    if (!change) return { before, result, resourceVersion: before.resourceVersion, written: false };
    try {
      const resourceVersion = await intents.write(tenantId, before.resourceVersion, change);
      return { before, result, resourceVersion, written: true };
    } catch (error) {
      if (!(error instanceof IntentConflictError)) throw error;
    }
  }
  throw new IntentConflictError(tenantId);
}
