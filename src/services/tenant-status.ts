import { servingDatabase } from '../domain/database-generation.ts';
import { effectiveParameters } from '../domain/chart-values.ts';
import { PostgresParameters } from '../domain/postgres-parameters.ts';
import { z } from '@hono/zod-openapi';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Config } from '../config/config.schema.ts';
import { releaseFor } from '../domain/tenant-id.ts';
import { OperationMarker, type TenantRecord } from '../domain/tenant-record.ts';
import { TierName } from '../domain/tiers.ts';
import { RunningVersion, VersionPin } from '../domain/tenant-version.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import { certificateReadiness, databaseReadiness, deploymentReadiness, type Certificate, type CnpgCluster } from '../kubernetes/readiness.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { withDeadlineSignal } from './deadline.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from './dependency.ts';
import { deriveTenantPhase, TENANT_PHASES } from '../lifecycle/phases.ts';
import { tenantObjectNames } from '../lifecycle/plans/plan-deps.ts';
import { servingSlot } from '../lifecycle/blue-green.ts';
import { ClosedAccount } from '../domain/closed-account.ts';

const ComponentStatus = z.object({ ready: z.boolean(), replicas: z.int(), readyReplicas: z.int() });
export type ComponentStatus = z.infer<typeof ComponentStatus>;
const DatabaseStatus = z.object({ ready: z.boolean(), instances: z.int(), readyInstances: z.int(), phase: z.string() });
export type DatabaseStatus = z.infer<typeof DatabaseStatus>;
const CertificateStatus = z
  .object({
    ready: z.boolean().openapi({ description: 'Issued (Ready=True) for its current spec' }),
    reason: z.string().nullable().openapi({ description: 'Why it is not ready, as cert-manager reports it; null when ready' }),
    notAfter: z.string().nullable().openapi({ description: 'When the issued certificate expires' }),
    renewalTime: z.string().nullable().openapi({ description: 'When cert-manager will renew it' }),
  })
  .openapi({ description: "The tenant host's TLS certificate (cert-manager); it does not count towards `ready`, since issuance waits on DNS" });
export type CertificateStatus = z.infer<typeof CertificateStatus>;

/** What `GET /api/provisioning/{tenantId}/status` answers: the route documents this schema, the service returns its type. */
export const TenantStatus = z
  .object({
    tenantId: z.string(),
    namespace: z.string(),
    tier: TierName,
    phase: z.enum(TENANT_PHASES),
    ready: z.boolean().openapi({ description: 'phase is ready: release deployed, database and both deployments ready' }),
    release: z.object({ status: z.string(), revision: z.int() }).nullable(),
    database: DatabaseStatus,
    api: ComponentStatus,
    web: ComponentStatus,
    certificate: CertificateStatus,
    urls: z.object({ tenant: z.string(), api: z.string(), custom: z.string().nullable() }),
    customDomain: z.string().nullable(),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    stripeCustomerId: z.string().nullable(),
    stripeSubscriptionId: z.string().nullable(),
    operation: OperationMarker.nullable(),
    running: RunningVersion.nullable().openapi({ description: 'What the worker last deployed (chart, images, values hash); null until a deploy records it' }),
    pin: VersionPin.nullable().openapi({ description: 'The version rollouts leave this tenant on, or null' }),
    closed: ClosedAccount.nullable().describe('A closed account: when it closed and the time it is kept until (purgeAfter); null for an open one'),
    postgresql: z
      .object({
        parameters: PostgresParameters.openapi({ description: "What the database is configured with: the tier's settings under the tenant's own" }),
        own: PostgresParameters.openapi({ description: "The tenant's own settings (PUT postgresql.parameters)" }),
      })
      .openapi({ description: 'PostgreSQL settings as the desired state asks for them' }),
    labels: z
      .record(z.string(), z.string())
      .openapi({ description: "The tenant's own labels (keys as sent, without the namespace's storage prefix)", example: { team: 'north' } }),
  })
  .openapi('TenantStatus');
export type TenantStatus = z.infer<typeof TenantStatus>;

export type TenantStatusDeps = {
  config: Config;
  registry: Pick<TenantStore, 'get'>;
  workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment' | 'readCertificate'>;
  helm: Pick<HelmClient, 'status'>;
};

/** The tenant as the cluster sees it right now, or undefined when there is no such tenant. */
export async function readTenantStatus(deps: TenantStatusDeps, tenantId: string): Promise<TenantStatus | undefined> {
  const tenant = await dependencyCall('The Kubernetes API', deps.registry.get(tenantId), CLUSTER_DEADLINE_MS);
  if (!tenant) return undefined;
  // The slot the Services select is the one whose health is the tenant's.
  const names = tenantObjectNames(tenantId, servingSlot(tenant), servingDatabase(tenant).generation);
  const ns = tenant.namespace;
  const releaseName = releaseFor(deps.config.platform.releasePrefix, tenantId);
  const [release, cluster, api, web, certificate] = await Promise.all([
    // Helm is a child process: its own deadline kills it (the outer one only maps the error to a 503).
    dependencyCall(
      'Helm',
      withDeadlineSignal(CLUSTER_DEADLINE_MS, 'Helm', (signal) => deps.helm.status(releaseName, ns, signal)),
      CLUSTER_DEADLINE_MS,
    ),
    dependencyCall('The Kubernetes API', deps.workloads.readDatabase(ns, names.database), CLUSTER_DEADLINE_MS),
    dependencyCall('The Kubernetes API', deps.workloads.readDeployment(ns, names.api), CLUSTER_DEADLINE_MS),
    dependencyCall('The Kubernetes API', deps.workloads.readDeployment(ns, names.web), CLUSTER_DEADLINE_MS),
    dependencyCall('The Kubernetes API', deps.workloads.readCertificate(ns, names.certificate), CLUSTER_DEADLINE_MS),
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
    certificate: certificateStatus(certificate),
    urls: tenantUrls(tenant, deps.config.platform.baseDomain),
    customDomain: tenant.customDomain,
    expiresAt: tenant.expiresAt,
    createdAt: tenant.createdAt,
    stripeCustomerId: tenant.stripeCustomerId,
    stripeSubscriptionId: tenant.stripeSubscriptionId,
    operation: tenant.operation,
    running: tenant.running ?? null,
    pin: tenant.pin ?? null,
    closed: tenant.desired.closed ?? null,
    postgresql: {
      parameters: effectiveParameters(deps.config.tiers[tenant.desired.tier], tenant.desired.postgresParameters),
      own: tenant.desired.postgresParameters ?? {},
    },
    labels: tenant.labels ?? {},
  };
}

function tenantUrls(tenant: Pick<TenantRecord, 'tenantId' | 'customDomain'>, baseDomain: string) {
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

function certificateStatus(certificate: Certificate | undefined): CertificateStatus {
  const readiness = certificateReadiness(certificate);
  return {
    ready: readiness.done,
    reason: readiness.done ? null : readiness.reason,
    notAfter: certificate?.status?.notAfter ?? null,
    renewalTime: certificate?.status?.renewalTime ?? null,
  };
}
