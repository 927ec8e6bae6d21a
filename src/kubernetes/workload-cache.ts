import type { KubernetesListObject, V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { followList, type FollowedList } from './follow-list.ts';
import type { Kubernetes } from './kube-client.ts';
import type { CnpgCluster } from './readiness.ts';

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
  database(namespace: string, name: string): CnpgCluster | undefined;
  deployment(namespace: string, name: string): V1Deployment | undefined;
  stop(): Promise<void>;
};

export function watchWorkloads(kube: Pick<Kubernetes, 'apps' | 'custom' | 'watch'>, options: { logger: Logger; restartMs?: number }): WorkloadCache {
  const common = { labelSelector: TENANT_OBJECTS, logger: options.logger, ...(options.restartMs === undefined ? {} : { restartMs: options.restartMs }) };
  const deployments = followList<V1Deployment>(kube, {
    ...common,
    path: '/apis/apps/v1/deployments',
    list: () => kube.apps.listDeploymentForAllNamespaces({ labelSelector: TENANT_OBJECTS }),
    what: 'workload cache (Deployments)',
  });
  const databases: FollowedList<CnpgCluster & { metadata?: { name?: string } }> = followList(kube, {
    ...common,
    path: '/apis/postgresql.cnpg.io/v1/clusters',
    list: () =>
      kube.custom.listClusterCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters', labelSelector: TENANT_OBJECTS }) as Promise<
        KubernetesListObject<CnpgCluster>
      >,
    what: 'workload cache (database Clusters)',
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
