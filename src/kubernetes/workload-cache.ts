import type { KubernetesListObject, V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { followList, type FollowedList } from './follow-list.ts';
import type { Kubernetes } from './kube-client.ts';
import { CNPG_HIBERNATION, type CnpgCluster } from './readiness.ts';

/** Every object the tenant chart renders carries it (charts/mechanicbuddy-tenant, mbt.labels). */
const TENANT_OBJECTS = 'tenant-provisioner.io/tenant-id';

/**
 * The tenants' Deployments and database Clusters as two cluster-wide watches keep them, so the
 * reconcile sweep compares 1,000 tenants with the cluster without 3,000 reads. `following()` is
 * false while either watch is down or RBAC withholds the cluster-wide list (the chart grants it
 * with `rbac.clusterWideWorkloadReads`); the sweep then reads each tenant's objects as before.
 */
export type WorkloadCache = {
  following(): boolean;
  database(namespace: string, name: string): CachedDatabase | undefined;
  deployment(namespace: string, name: string): CachedDeployment | undefined;
  stop(): Promise<void>;
};

type Filed = { name?: string; namespace?: string; resourceVersion?: string };
/** What the cache keeps of a Deployment: its replicas (the reconcile sweep compares them). */
export type CachedDeployment = { metadata?: Filed; spec?: { replicas?: number } };
/** What the cache keeps of a database Cluster: its instances and the hibernation annotation. */
export type CachedDatabase = { metadata?: Filed & { annotations?: Record<string, string> }; spec?: { instances?: number } };

// Whole objects would be ~20 KB of heap per Deployment: 39 MB for 1,000 tenants' 2,000 (item 7 of docs/benchmarks.md).
const filed = (m: Filed | undefined): Filed => ({ name: m?.name, namespace: m?.namespace, resourceVersion: m?.resourceVersion });
const keepDeployment = (d: V1Deployment): V1Deployment => ({ metadata: filed(d.metadata), spec: { replicas: d.spec?.replicas } }) as V1Deployment;
const keepDatabase = (c: CnpgCluster): CnpgCluster => {
  const hibernation = c.metadata?.annotations?.[CNPG_HIBERNATION];
  return {
    metadata: { ...filed(c.metadata), ...(hibernation === undefined ? {} : { annotations: { [CNPG_HIBERNATION]: hibernation } }) },
    spec: { instances: c.spec?.instances },
  };
};

export function watchWorkloads(kube: Pick<Kubernetes, 'apps' | 'custom' | 'watch'>, options: { logger: Logger; restartMs?: number }): WorkloadCache {
  const common = { labelSelector: TENANT_OBJECTS, logger: options.logger, ...(options.restartMs === undefined ? {} : { restartMs: options.restartMs }) };
  const deployments = followList<V1Deployment>(kube, {
    ...common,
    path: '/apis/apps/v1/deployments',
    list: () => kube.apps.listDeploymentForAllNamespaces({ labelSelector: TENANT_OBJECTS }),
    what: 'workload cache (Deployments)',
    keep: keepDeployment,
  });
  const databases: FollowedList<CnpgCluster & { metadata?: { name?: string } }> = followList(kube, {
    ...common,
    path: '/apis/postgresql.cnpg.io/v1/clusters',
    list: () =>
      kube.custom.listClusterCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters', labelSelector: TENANT_OBJECTS }) as Promise<
        KubernetesListObject<CnpgCluster>
      >,
    what: 'workload cache (database Clusters)',
    keep: keepDatabase,
  });
  return {
    following: () => deployments.following() && databases.following(),
    database: (namespace, name) => databases.get(namespace, name),
    deployment: (namespace, name) => deployments.get(namespace, name),
    async stop() {
      await Promise.all([deployments.stop(), databases.stop()]);
    },
  };
}
