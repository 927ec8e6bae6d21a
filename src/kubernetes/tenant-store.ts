import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Namespace } from '@kubernetes/client-node';
import {
  MANAGED_BY,
  TENANT_ANNOTATIONS as A,
  TENANT_LABELS as L,
  type DesiredState,
  type NewTenant,
  type OperationMarker,
  type TenantRecord,
} from '../domain/tenant-record.ts';
import { labelPatch, storedLabels, type TenantLabels } from '../domain/tenant-labels.ts';
import type { TierName } from '../domain/tiers.ts';
import { ConflictError } from '../domain/errors.ts';
import type { RunningVersion, VersionPin } from '../domain/tenant-version.ts';
import type { TemplateMark } from '../domain/tenant-template.ts';
import { isConflict, isNotFound } from './kube-errors.ts';
import { ensureTenantAccess, type TenantAccess } from './tenant-access.ts';
import {
  fullIndexLabels,
  INDEXED_LABEL,
  indexedUnder,
  indexedValuesOf,
  indexLabels,
  indexSelector,
  type IndexedValues,
  type TenantIndex,
} from './tenant-index.ts';
import { toTenantRecord } from './tenant-record-codec.ts';

export class TenantExistsError extends Error {
  constructor(tenantId: string) {
    super(`tenant ${tenantId} already exists`);
    this.name = 'TenantExistsError';
  }
}

/**
 * Another writer changed the namespace between our read and our write. A conflict (409 at the API)
 * when the lifecycle core's retries run out under a stream of writers: asking again is safe.
 */
export class IntentConflictError extends ConflictError {
  override readonly name: string = 'IntentConflictError';
  constructor(tenantId: string) {
    super(`tenant ${tenantId} changed concurrently; try again`, { retryAfterSeconds: 1 });
  }
}

/** A change to what a tenant should be; absent fields stay as they are, null removes. */
export type IntentChange = {
  desired?: DesiredState;
  operation?: OperationMarker | null;
  expiresAt?: string | null;
  stripe?: { customerId: string | null; subscriptionId: string | null };
  /** What the worker deployed (observed, not intent, but written under the same precondition). */
  running?: RunningVersion;
  pin?: VersionPin | null;
  /** Marks (or, null, unmarks) the tenant as a template; its label follows in the same write. */
  template?: TemplateMark | null;
  /** The tenant's labels go from the set `from` (as read) to `to`: the write adds, changes and removes the difference. */
  labels?: { from: TenantLabels; to: TenantLabels };
};

export type VersionedTenant = { tenant: TenantRecord; resourceVersion: string };
export type TenantPage = { items: TenantRecord[]; continue: string | undefined };

/**
 * The tenants, as their namespaces record them: Kubernetes is the registry. Every change to what a
 * tenant should be is a `write` conditioned on the resourceVersion it was decided on, so two
 * requests that read the same state cannot both win and a slower one cannot silently undo a newer
 * one. Deciding what to write is the lifecycle core's (src/lifecycle); this is only the adapter.
 */
export interface TenantStore {
  namespaceOf(tenantId: string): string;
  /** Records a new tenant's intent by creating its namespace; a taken id is a TenantExistsError. */
  create(tenant: NewTenant): Promise<TenantRecord>;
  get(tenantId: string): Promise<TenantRecord | undefined>;
  read(tenantId: string): Promise<VersionedTenant | undefined>;
  /** One page; `labels`: only tenants carrying all of them (a label selector, so the API server filters). */
  list(options: { limit: number; continue?: string | undefined; tier?: TierName | undefined; labels?: TenantLabels | undefined }): Promise<TenantPage>;
  /** Every managed tenant, a page at a time. */
  all(options?: { tier?: TierName; pageSize?: number }): AsyncIterable<TenantRecord>;
  /**
   * The tenants whose index label matches `value` (tenant-index.ts): one label-selected list, not a
   * walk over every namespace. The caller compares the annotation itself.
   */
  findBy(index: TenantIndex, value: string): Promise<TenantRecord[]>;
  /** The tenants marked as templates (one label-selected list). */
  templates(): Promise<TenantRecord[]>;
  /**
   * Writes the index labels of tenants whose namespaces predate the index (each patch conditioned
   * on the version it was computed from); returns how many it labelled. Idempotent.
   */
  backfillIndex(): Promise<number>;
  /** Applies `change` only if the namespace is still at `resourceVersion` (else IntentConflictError); returns the new version. */
  write(tenantId: string, resourceVersion: string, change: IntentChange): Promise<string>;
  /**
   * Binds the service's tenant ClusterRole into the namespace (least privilege; a no-op without
   * tenant access configured). Each job calls it before touching the namespace's contents.
   */
  ensureAccess(tenantId: string, signal?: AbortSignal): Promise<void>;
  /**
   * Deletes the namespace; resolves 'absent' when it was already gone. With `expected`, only if the
   * namespace is still at that resourceVersion (the API server's delete precondition), else 'changed':
   * a decision to remove is never carried out over a change made after it was taken.
   */
  delete(tenantId: string, expected?: { resourceVersion: string }): Promise<'deleting' | 'absent' | 'changed'>;
}

/** Every namespace of any installation of the service; each store keeps only its own prefix (ownedHere). */
export const MANAGED_NAMESPACES = `${L.managedBy}=${MANAGED_BY}`;
const selector = MANAGED_NAMESPACES;

export type TenantAccessOptions = { clients: Parameters<typeof ensureTenantAccess>[0]; tenantAccess: TenantAccess | null };

export function createTenantStore(core: CoreV1Api, namespacePrefix: string, access?: TenantAccessOptions): TenantStore {
  const namespaceOf = (tenantId: string) => `${namespacePrefix}${tenantId}`;

  // Another installation on this cluster (another prefix) labels its namespaces just as this one
  // does; only a namespace named by this installation's prefix is one of its tenants. Without this a
  // sweep here would act on another installation's tenants under the wrong release and namespace.
  const ownedHere = (t: TenantRecord) => t.namespace === namespaceOf(t.tenantId);

  const read = async (tenantId: string): Promise<VersionedTenant | undefined> => {
    try {
      const ns = await core.readNamespace({ name: namespaceOf(tenantId) });
      const tenant = toTenantRecord(ns);
      return tenant ? { tenant, resourceVersion: ns.metadata?.resourceVersion ?? '' } : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  const list: TenantStore['list'] = async ({ limit, continue: token, tier, labels }) => {
    const terms = [selector, ...(tier ? [`${L.tier}=${tier}`] : []), ...Object.entries(storedLabels(labels ?? {})).map(([k, v]) => `${k}=${v}`)];
    const labelSelector = terms.join(',');
    const page = await core.listNamespace({ labelSelector, limit, _continue: token });
    return {
      items: page.items.map(toTenantRecord).filter((t): t is TenantRecord => t !== undefined && ownedHere(t)),
      continue: page.metadata?._continue || undefined,
    };
  };

  return {
    namespaceOf,
    read,
    list,
    async create(tenant) {
      try {
        return toTenantRecord(await core.createNamespace({ body: newNamespace(namespaceOf(tenant.tenantId), tenant) }))!;
      } catch (error) {
        if (isConflict(error)) throw new TenantExistsError(tenant.tenantId);
        throw error;
      }
    },
    async get(tenantId) {
      return (await read(tenantId))?.tenant;
    },
    async findBy(index, value) {
      const [indexed, unindexed] = await Promise.all([
        core.listNamespace({ labelSelector: `${selector},${indexSelector(index, value)}` }),
        // Empty once the backfill has run; until then a tenant made before the index is still found.
        core.listNamespace({ labelSelector: `${selector},!${INDEXED_LABEL}` }),
      ]);
      const tenants = (items: V1Namespace[]) => items.map(toTenantRecord).filter((t): t is TenantRecord => t !== undefined && ownedHere(t));
      return [...tenants(indexed.items), ...tenants(unindexed.items).filter((t) => indexedUnder(t, index, value))];
    },
    async templates() {
      const list = await core.listNamespace({ labelSelector: `${selector},${L.template}=true` });
      return list.items.map(toTenantRecord).filter((t): t is TenantRecord => t !== undefined && ownedHere(t) && Boolean(t.template));
    },
    async backfillIndex() {
      let labelled = 0;
      let cursor: string | undefined;
      do {
        const page = await core.listNamespace({ labelSelector: `${selector},!${INDEXED_LABEL}`, limit: 200, _continue: cursor });
        for (const ns of page.items) {
          const tenant = toTenantRecord(ns);
          if (!tenant || !ownedHere(tenant)) continue;
          const body = { metadata: { resourceVersion: ns.metadata?.resourceVersion, labels: fullIndexLabels(indexedValuesOf(tenant)) } };
          try {
            await core.patchNamespace({ name: tenant.namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
            labelled++;
          } catch (error) {
            // Changed (its writer labels it) or gone since the list: the next sweep looks again.
            if (!isConflict(error) && !isNotFound(error)) throw error;
          }
        }
        cursor = page.metadata?._continue || undefined;
      } while (cursor !== undefined);
      return labelled;
    },
    async *all(options = {}) {
      let cursor: string | undefined;
      do {
        const page = await list({ limit: options.pageSize ?? 200, continue: cursor, tier: options.tier });
        yield* page.items;
        cursor = page.continue;
      } while (cursor !== undefined);
    },
    async write(tenantId, resourceVersion, change) {
      // A merge patch that names a resourceVersion is rejected with 409 unless it is still current.
      const body = { metadata: { resourceVersion, ...intentMetadata(change) } };
      try {
        const ns = await core.patchNamespace({ name: namespaceOf(tenantId), body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        return ns.metadata?.resourceVersion ?? '';
      } catch (error) {
        if (isConflict(error)) throw new IntentConflictError(tenantId);
        throw error;
      }
    },
    async ensureAccess(tenantId, signal) {
      if (access?.tenantAccess) await ensureTenantAccess(access.clients, namespaceOf(tenantId), tenantId, access.tenantAccess, undefined, signal);
    },
    async delete(tenantId, expected) {
      const body = expected ? { preconditions: { resourceVersion: expected.resourceVersion } } : undefined;
      try {
        await core.deleteNamespace({ name: namespaceOf(tenantId), propagationPolicy: 'Foreground', ...(body ? { body } : {}) });
        return 'deleting';
      } catch (error) {
        if (isNotFound(error)) return 'absent';
        if (expected && isConflict(error)) return 'changed';
        throw error;
      }
    },
  };
}

function intentMetadata(change: IntentChange) {
  const annotations: Record<string, string | null> = {};
  let labels: Record<string, string | null> = {};
  const indexed: IndexedValues = {};
  if (change.desired) {
    annotations[A.desiredState] = JSON.stringify(change.desired);
    annotations[A.customDomain] = change.desired.customDomain;
    indexed.customDomain = change.desired.customDomain;
    // The tier label is what listings filter on; it follows the desired tier.
    labels[L.tier] = change.desired.tier;
  }
  if (change.operation !== undefined) annotations[A.operation] = change.operation ? JSON.stringify(change.operation) : null;
  if (change.expiresAt !== undefined) annotations[A.expiresAt] = change.expiresAt;
  if (change.running) annotations[A.runningVersion] = JSON.stringify(change.running);
  if (change.pin !== undefined) annotations[A.versionPin] = change.pin ? JSON.stringify(change.pin) : null;
  if (change.template !== undefined) {
    annotations[A.template] = change.template ? JSON.stringify(change.template) : null;
    labels[L.template] = change.template ? 'true' : null;
  }
  if (change.stripe) {
    annotations[A.stripeCustomerId] = change.stripe.customerId;
    annotations[A.stripeSubscriptionId] = change.stripe.subscriptionId;
    indexed.stripeCustomerId = change.stripe.customerId;
    indexed.stripeSubscriptionId = change.stripe.subscriptionId;
  }
  // The index labels change in the same conditional write as the values they index.
  labels = { ...labels, ...indexLabels(indexed), ...(change.labels ? labelPatch(change.labels.from, change.labels.to) : {}) };
  return { annotations, ...(Object.keys(labels).length ? { labels } : {}) };
}

function newNamespace(name: string, tenant: NewTenant): V1Namespace {
  const optional = (key: string, value: string | null) => (value ? { [key]: value } : {});
  return {
    metadata: {
      name,
      labels: {
        [L.managedBy]: MANAGED_BY,
        [L.tenantId]: tenant.tenantId,
        [L.tier]: tenant.desired.tier,
        // Tenant workloads must meet the restricted Pod Security Standard.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
        ...presentLabels(fullIndexLabels(indexedValuesOf(tenant))),
        ...storedLabels(tenant.labels ?? {}),
      },
      annotations: {
        [A.desiredState]: JSON.stringify(tenant.desired),
        [A.operation]: JSON.stringify(tenant.operation),
        [A.companyName]: tenant.companyName,
        [A.ownerEmail]: tenant.ownerEmail,
        [A.ownerName]: tenant.ownerName,
        [A.createdAt]: tenant.createdAt ?? new Date().toISOString(),
        ...optional(A.customDomain, tenant.customDomain),
        ...optional(A.stripeCustomerId, tenant.stripeCustomerId),
        ...optional(A.stripeSubscriptionId, tenant.stripeSubscriptionId),
        ...optional(A.expiresAt, tenant.expiresAt),
      },
    },
  };
}

const presentLabels = (labels: Record<string, string | null>) =>
  Object.fromEntries(Object.entries(labels).filter((entry): entry is [string, string] => entry[1] !== null));
