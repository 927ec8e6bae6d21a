import { servingDatabase } from '../domain/database-generation.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import { certificateReadiness, databaseReadiness, deploymentReadiness } from '../kubernetes/readiness.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { servingSlot } from './blue-green.ts';
import { tenantObjectNames } from './plans/plan-deps.ts';

/** What a rollout's health gate reads: four objects per tenant, by name, through the tenant role. */
export type RolloutHealthDeps = { workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment' | 'readCertificate'> };

/**
 * Whether a tenant counts as healthy while its wave bakes: the database, the API and the Web of the
 * serving slot ready (hibernated: the database as hibernation leaves it), and the cert-manager
 * Certificate of the tenant's own host issued for its current spec. Hibernation keeps the Ingress,
 * so the certificate counts then too. The custom domain's Certificate does not: its DNS is the
 * customer's, and a lagging record is no fault of the release being rolled out.
 */
export async function rolloutHealthy(deps: RolloutHealthDeps, t: TenantRecord): Promise<boolean> {
  const names = tenantObjectNames(t.tenantId, servingSlot(t), servingDatabase(t).generation);
  const [db, api, web, certificate] = await Promise.all([
    deps.workloads.readDatabase(t.namespace, names.database),
    deps.workloads.readDeployment(t.namespace, names.api),
    deps.workloads.readDeployment(t.namespace, names.web),
    deps.workloads.readCertificate(t.namespace, names.certificate),
  ]);
  const serving = deploymentReadiness(api).done && deploymentReadiness(web).done && certificateReadiness(certificate).done;
  return serving && (t.desired.hibernated || databaseReadiness(db).done);
}
