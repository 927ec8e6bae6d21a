import type { V1Deployment, V1Namespace } from '@kubernetes/client-node';
import { callOptions } from './kube-call.ts';
import type { Kubernetes } from './kube-client.ts';
import { isNotFound } from './kube-errors.ts';
import { createTenantBackups } from './tenant-backups.ts';
import {
  databaseHibernation,
  databaseReadiness,
  deploymentReadiness,
  type Certificate,
  type CnpgCluster,
  type DatabaseSummary,
  type DeploymentSummary,
} from './readiness.ts';
import { watchUntil, type Observation } from './watch-until.ts';

export type WaitOptions = { timeoutMs: number; signal?: AbortSignal | undefined; onChange?: (reason: string) => void };

const CNPG = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' } as const;
const CERTIFICATES = { group: 'cert-manager.io', version: 'v1', plural: 'certificates' } as const;

const orUndefined = async <T>(read: Promise<T>): Promise<T | undefined> => {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
};

/** Reads and waits on the objects a tenant's release creates. Waits use watches with a deadline. */
export function createTenantWorkloads(kube: Kubernetes) {
  const readDatabase = (namespace: string, name: string, signal?: AbortSignal) =>
    orUndefined(kube.custom.getNamespacedCustomObject({ ...CNPG, namespace, name }, callOptions(signal)) as Promise<CnpgCluster>);
  const readDeployment = (namespace: string, name: string, signal?: AbortSignal) =>
    orUndefined(kube.apps.readNamespacedDeployment({ namespace, name }, callOptions(signal)));
  /** A cert-manager Certificate the tenant chart renders; undefined (404) when it is not there. */
  const readCertificate = (namespace: string, name: string, signal?: AbortSignal) =>
    orUndefined(kube.custom.getNamespacedCustomObject({ ...CERTIFICATES, namespace, name }, callOptions(signal)) as Promise<Certificate>);

  const waitDatabase = (namespace: string, name: string, check: (c: CnpgCluster | undefined) => Observation<DatabaseSummary>, what: string, o: WaitOptions) =>
    watchUntil<CnpgCluster & { metadata?: { name?: string } }, DatabaseSummary>({
      watch: kube.watch,
      path: `/apis/${CNPG.group}/${CNPG.version}/namespaces/${namespace}/${CNPG.plural}`,
      name,
      read: () => kube.custom.getNamespacedCustomObject({ ...CNPG, namespace, name }, callOptions(o.signal)) as Promise<CnpgCluster>,
      check,
      what,
      ...o,
    });

  const backups = createTenantBackups(kube);

  return {
    readDatabase,
    readDeployment,
    readCertificate,
    /** The database's Backup objects, newest first (tenant-backups.ts). */
    listBackups: backups.list,
    waitForDatabase: (namespace: string, name: string, o: WaitOptions) => waitDatabase(namespace, name, databaseReadiness, `database ${name}`, o),
    waitForDatabaseHibernated: (namespace: string, name: string, o: WaitOptions) =>
      waitDatabase(namespace, name, databaseHibernation, `database ${name} hibernation`, o),
    waitForDeployment: (namespace: string, name: string, o: WaitOptions): Promise<DeploymentSummary> =>
      watchUntil<V1Deployment, DeploymentSummary>({
        watch: kube.watch,
        path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
        name,
        read: () => kube.apps.readNamespacedDeployment({ namespace, name }, callOptions(o.signal)),
        check: deploymentReadiness,
        what: `deployment ${name}`,
        ...o,
      }),
    /**
     * Waits until the namespace is gone. A namespace stuck terminating is reported with what
     * blocks it (its conditions and finalizers) rather than waited on forever.
     */
    waitForNamespaceGone: (name: string, o: WaitOptions): Promise<true> =>
      watchUntil<V1Namespace, true>({
        watch: kube.watch,
        path: '/api/v1/namespaces',
        name,
        read: () => kube.core.readNamespace({ name }, callOptions(o.signal)),
        check: (ns) => {
          if (!ns) return { done: true, value: true };
          const blocking = (ns.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}: ${c.message ?? ''}`);
          const finalizers = [...(ns.spec?.finalizers ?? []), ...(ns.metadata?.finalizers ?? [])];
          return {
            done: false,
            reason: `namespace ${name} terminating (finalizers: ${finalizers.join(', ') || 'none'}${blocking.length ? `; ${blocking.join('; ')}` : ''})`,
          };
        },
        what: `namespace ${name} deletion`,
        ...o,
      }),
  };
}
export type TenantWorkloads = ReturnType<typeof createTenantWorkloads>;
