import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Namespace } from '@kubernetes/client-node';
import {
  DesiredState,
  MANAGED_BY,
  OperationMarker,
  TENANT_ANNOTATIONS as A,
  TENANT_LABELS as L,
  type NewTenant,
  type TenantRecord,
} from '../domain/tenant-record.ts';
import { TierName } from '../domain/tiers.ts';
import { isConflict, isNotFound } from './kube-errors.ts';
import { ensureTenantAccess, type TenantAccess } from './tenant-access.ts';

export class TenantExistsError extends Error {
  constructor(tenantId: string) {
    super(`tenant ${tenantId} already exists`);
    this.name = 'TenantExistsError';
  }
}

export type TenantPage = { items: TenantRecord[]; continue: string | undefined };

export interface TenantRegistry {
  namespaceOf(tenantId: string): string;
  /** Records the tenant's intent by creating its namespace; a taken id is a TenantExistsError. */
  create(tenant: NewTenant): Promise<TenantRecord>;
  get(tenantId: string): Promise<TenantRecord | undefined>;
  list(options: { limit: number; continue?: string | undefined; tier?: TierName | undefined }): Promise<TenantPage>;
  setOperation(tenantId: string, operation: OperationMarker): Promise<void>;
  setAnnotations(tenantId: string, annotations: Partial<Record<keyof typeof A, string | null>>): Promise<void>;
  /**
   * Binds the service's tenant ClusterRole into the namespace (least privilege; a no-op without
   * tenant access configured). Called at creation and again by each job, so a crash between the
   * namespace and its binding strands nothing.
   */
  ensureAccess(tenantId: string): Promise<void>;
  /** Deletes the namespace; resolves 'absent' when it was already gone. */
  delete(tenantId: string): Promise<'deleting' | 'absent'>;
}

const selector = `${L.managedBy}=${MANAGED_BY}`;

export function toTenantRecord(ns: V1Namespace): TenantRecord | undefined {
  const labels = ns.metadata?.labels ?? {};
  const annotations = ns.metadata?.annotations ?? {};
  const tier = TierName.safeParse(labels[L.tier]);
  const desired = safeJson(annotations[A.desiredState], DesiredState);
  if (labels[L.managedBy] !== MANAGED_BY || !labels[L.tenantId] || !tier.success || !desired) return undefined;
  return {
    tenantId: labels[L.tenantId] ?? '',
    namespace: ns.metadata!.name!,
    tier: tier.data,
    companyName: annotations[A.companyName] ?? '',
    ownerEmail: annotations[A.ownerEmail] ?? '',
    ownerName: annotations[A.ownerName] ?? '',
    customDomain: annotations[A.customDomain] ?? null,
    stripeCustomerId: annotations[A.stripeCustomerId] ?? null,
    stripeSubscriptionId: annotations[A.stripeSubscriptionId] ?? null,
    expiresAt: annotations[A.expiresAt] ?? null,
    createdAt: annotations[A.createdAt] ?? ns.metadata?.creationTimestamp?.toISOString() ?? '',
    desired,
    operation: safeJson(annotations[A.operation], OperationMarker) ?? null,
    terminating: Boolean(ns.metadata?.deletionTimestamp),
  };
}

function safeJson<T>(text: string | undefined, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T | undefined {
  if (!text) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export type TenantAccessOptions = { clients: Parameters<typeof ensureTenantAccess>[0]; tenantAccess: TenantAccess | null };

export function createTenantRegistry(core: CoreV1Api, namespacePrefix: string, access?: TenantAccessOptions): TenantRegistry {
  const namespaceOf = (tenantId: string) => `${namespacePrefix}${tenantId}`;
  const ensureAccess = async (tenantId: string) => {
    if (access?.tenantAccess) await ensureTenantAccess(access.clients, namespaceOf(tenantId), tenantId, access.tenantAccess);
  };
  const mergePatch = (name: string, body: object) =>
    core.patchNamespace({ name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

  return {
    namespaceOf,
    async create(tenant) {
      const name = namespaceOf(tenant.tenantId);
      const optional = (key: string, value: string | null) => (value ? { [key]: value } : {});
      const body: V1Namespace = {
        metadata: {
          name,
          labels: {
            [L.managedBy]: MANAGED_BY,
            [L.tenantId]: tenant.tenantId,
            [L.tier]: tenant.desired.tier,
            // Tenant workloads must meet the restricted Pod Security Standard.
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
          annotations: {
            [A.desiredState]: JSON.stringify(tenant.desired),
            [A.operation]: JSON.stringify(tenant.operation),
            [A.companyName]: tenant.companyName,
            [A.ownerEmail]: tenant.ownerEmail,
            [A.ownerName]: tenant.ownerName,
            [A.createdAt]: new Date().toISOString(),
            ...optional(A.customDomain, tenant.customDomain),
            ...optional(A.stripeCustomerId, tenant.stripeCustomerId),
            ...optional(A.stripeSubscriptionId, tenant.stripeSubscriptionId),
            ...optional(A.expiresAt, tenant.expiresAt),
          },
        },
      };
      let created: V1Namespace;
      try {
        created = await core.createNamespace({ body });
      } catch (error) {
        if (isConflict(error)) throw new TenantExistsError(tenant.tenantId);
        throw error;
      }
      await ensureAccess(tenant.tenantId);
      return toTenantRecord(created)!;
    },
    ensureAccess,
    async get(tenantId) {
      try {
        return toTenantRecord(await core.readNamespace({ name: namespaceOf(tenantId) }));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async list({ limit, continue: token, tier }) {
      const labelSelector = tier ? `${selector},${L.tier}=${tier}` : selector;
      const page = await core.listNamespace({ labelSelector, limit, _continue: token });
      return {
        items: page.items.map(toTenantRecord).filter((t): t is TenantRecord => t !== undefined),
        continue: page.metadata?._continue || undefined,
      };
    },
    async setOperation(tenantId, operation) {
      await mergePatch(namespaceOf(tenantId), { metadata: { annotations: { [A.operation]: JSON.stringify(operation) } } });
    },
    async setAnnotations(tenantId, annotations) {
      const body = Object.fromEntries(Object.entries(annotations).map(([key, value]) => [A[key as keyof typeof A], value]));
      await mergePatch(namespaceOf(tenantId), { metadata: { annotations: body } });
    },
    async delete(tenantId) {
      try {
        await core.deleteNamespace({ name: namespaceOf(tenantId), propagationPolicy: 'Foreground' });
        return 'deleting';
      } catch (error) {
        if (isNotFound(error)) return 'absent';
        throw error;
      }
    },
  };
}
