import { FIRST_DATABASE, databaseName, servingDatabase } from '../../../src/domain/database-generation.ts';
import { MANAGED_BY, TENANT_LABELS, type TenantRecord } from '../../../src/domain/tenant-record.ts';
import { CNPG_HIBERNATION } from '../../../src/kubernetes/readiness.ts';
import type { ServiceDeps } from '../../support/service-deps.ts';

export type ReleaseRevision = { revision: number; status: string };
/** One tenant as the cluster shows it at one moment: what a loss or a second mutator would change. */
export type TenantView = {
  tenantId: string;
  namespace: string;
  namespaceUid: string;
  record: TenantRecord | undefined;
  /** Helm's release records (its Secrets), by revision. */
  revisions: ReleaseRevision[];
  /** The Cluster the application uses: the one the running record names (a restore makes the next generation). */
  database: { name: string; uid: string; hibernated: boolean } | undefined;
  /** The tenant's own Secrets (the service's label), name → uid; Helm's release records are not among them. */
  secrets: Map<string, string>;
};

const CNPG = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' } as const;
type Meta = { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };

/**
 * Every tenant namespace of the soak's own cluster in four list calls (namespaces, records,
 * Secrets, databases), so a check every few seconds costs the API server little.
 */
export async function clusterView(deps: ServiceDeps): Promise<Map<string, TenantView>> {
  const { core, custom } = deps.kube;
  const [namespaces, secrets, clusters, records] = await Promise.all([
    core.listNamespace({ labelSelector: `${TENANT_LABELS.managedBy}=${MANAGED_BY}` }),
    core.listSecretForAllNamespaces({}),
    custom.listClusterCustomObject(CNPG) as Promise<{ items: Array<{ metadata: Meta }> }>,
    (async () => {
      const all: TenantRecord[] = [];
      for await (const record of deps.registry.all()) all.push(record);
      return new Map(all.map((r) => [r.tenantId, r]));
    })(),
  ]);
  const views = new Map<string, TenantView>();
  const byNamespace = new Map<string, TenantView>();
  for (const ns of namespaces.items) {
    const tenantId = ns.metadata?.labels?.[TENANT_LABELS.tenantId];
    if (!tenantId) continue;
    const view: TenantView = {
      tenantId,
      namespace: ns.metadata!.name!,
      namespaceUid: ns.metadata!.uid!,
      record: records.get(tenantId),
      revisions: [],
      database: undefined,
      secrets: new Map(),
    };
    views.set(tenantId, view);
    byNamespace.set(view.namespace, view);
  }
  for (const secret of secrets.items) {
    const view = byNamespace.get(secret.metadata?.namespace ?? '');
    const labels = secret.metadata?.labels ?? {};
    if (!view) continue;
    if (labels['owner'] === 'helm') view.revisions.push({ revision: Number(labels['version']), status: labels['status'] ?? 'unknown' });
    else if (labels[TENANT_LABELS.managedBy] === MANAGED_BY) view.secrets.set(secret.metadata!.name!, secret.metadata!.uid!);
  }
  for (const cluster of clusters.items) {
    const view = byNamespace.get(cluster.metadata.namespace ?? '');
    const serving = view?.record ? servingDatabase(view.record) : FIRST_DATABASE;
    if (view && cluster.metadata.name === databaseName(view.tenantId, serving.generation)) {
      view.database = { name: cluster.metadata.name, uid: cluster.metadata.uid!, hibernated: cluster.metadata.annotations?.[CNPG_HIBERNATION] === 'on' };
    }
  }
  for (const view of views.values()) view.revisions.sort((a, b) => a.revision - b.revision);
  return views;
}

export const isPending = (status: string) => status.startsWith('pending-');
/** The release's current state: its newest revision. */
export const latestRevision = (view: TenantView): ReleaseRevision | undefined => view.revisions.at(-1);
