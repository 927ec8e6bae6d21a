import type { V1Deployment } from '@kubernetes/client-node';
import type { Config } from '../config/config.schema.ts';
import { releaseFor } from '../domain/tenant-id.ts';
import type { OperationMarker, TenantRecord } from '../domain/tenant-record.ts';
import type { TierName } from '../domain/tiers.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import { databaseReadiness, deploymentReadiness, type CnpgCluster } from '../kubernetes/readiness.ts';
import type { TenantRegistry } from '../kubernetes/tenant-registry.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { withDeadlineSignal } from './deadline.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from './dependency.ts';
import { deriveTenantPhase, type TenantPhase } from './tenant-phase.ts';

export type ComponentStatus = { ready: boolean; replicas: number; readyReplicas: number };
export type DatabaseStatus = { ready: boolean; instances: number; readyInstances: number; phase: string };

export type TenantStatus = {
  tenantId: string;
  namespace: string;
  tier: TierName;
  phase: TenantPhase;
  ready: boolean;
  release: { status: string; revision: number } | null;
  database: DatabaseStatus;
  api: ComponentStatus;
  web: ComponentStatus;
  urls: { tenant: string; api: string; custom: string | null };
  customDomain: string | null;
  expiresAt: string | null;
  createdAt: string;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  operation: OperationMarker | null;
};

export type TenantStatusDeps = {
  config: Config;
  registry: Pick<TenantRegistry, 'get'>;
  workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment'>;
  helm: Pick<HelmClient, 'status'>;
};

/** Object names the tenant chart (charts/mechanicbuddy-tenant) gives a tenant's components. */
export const componentNames = (tenantId: string) => ({
  database: `${tenantId}-postgres`,
  api: `${tenantId}-api`,
  web: `${tenantId}-web`,
});

/** The tenant as the cluster sees it right now, or undefined when there is no such tenant. */
export async function readTenantStatus(deps: TenantStatusDeps, tenantId: string): Promise<TenantStatus | undefined> {
  const tenant = await dependencyCall('The Kubernetes API', deps.registry.get(tenantId), CLUSTER_DEADLINE_MS);
  if (!tenant) return undefined;
  const names = componentNames(tenantId);
  const ns = tenant.namespace;
  const releaseName = releaseFor(deps.config.platform.releasePrefix, tenantId);
  const [release, cluster, api, web] = await Promise.all([
    // Helm is a child process: its own deadline kills it (the outer one only maps the error to a 503).
    dependencyCall('Helm', withDeadlineSignal(CLUSTER_DEADLINE_MS, 'Helm', (signal) => deps.helm.status(releaseName, ns, signal)), CLUSTER_DEADLINE_MS),
    dependencyCall('The Kubernetes API', deps.workloads.readDatabase(ns, names.database), CLUSTER_DEADLINE_MS),
    dependencyCall('The Kubernetes API', deps.workloads.readDeployment(ns, names.api), CLUSTER_DEADLINE_MS),
    dependencyCall('The Kubernetes API', deps.workloads.readDeployment(ns, names.web), CLUSTER_DEADLINE_MS),
  ]);
  const database = databaseStatus(cluster);
  const apiStatus = deploymentStatus(api);
  const webStatus = deploymentStatus(web);
  const componentsReady = release?.status === 'deployed' && database.ready && apiStatus.ready && webStatus.ready;
  const phase = deriveTenantPhase(tenant, componentsReady);
  return {
    tenantId,
    namespace: ns,
    tier: tenant.tier,
    phase,
    ready: phase === 'ready',
    release: release ? { status: release.status, revision: release.revision } : null,
    database,
    api: apiStatus,
    web: webStatus,
    urls: tenantUrls(tenant, deps.config.platform.baseDomain),
    customDomain: tenant.customDomain,
    expiresAt: tenant.expiresAt,
    createdAt: tenant.createdAt,
    stripeCustomerId: tenant.stripeCustomerId,
    stripeSubscriptionId: tenant.stripeSubscriptionId,
    operation: tenant.operation,
  };
}

export function tenantUrls(tenant: Pick<TenantRecord, 'tenantId' | 'customDomain'>, baseDomain: string) {
  const base = `https://${tenant.tenantId}.${baseDomain}`;
  return { tenant: base, api: `${base}/api`, custom: tenant.customDomain ? `https://${tenant.customDomain}` : null };
}

function databaseStatus(cluster: CnpgCluster | undefined): DatabaseStatus {
  return {
    ready: databaseReadiness(cluster).done,
    instances: cluster?.spec?.instances ?? 0,
    readyInstances: cluster?.status?.readyInstances ?? 0,
    phase: cluster ? (cluster.status?.phase ?? 'Pending') : 'NotCreated',
  };
}

function deploymentStatus(deployment: V1Deployment | undefined): ComponentStatus {
  return {
    ready: deploymentReadiness(deployment).done,
    replicas: deployment ? (deployment.spec?.replicas ?? 1) : 0,
    readyReplicas: deployment?.status?.readyReplicas ?? 0,
  };
}
