import { servingDatabase } from '../domain/database-generation.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import type { HelmRelease } from '../helm/helm-client.ts';
import type { OperationDeps } from './plans/plan-deps.ts';
import { recordRunningVersion, runningVersionOf } from './running-version.ts';
import { tenantChart } from './tenant-chart.ts';
import { tenantRef } from './tenant-ref.ts';
import { tenantChartValues } from './tenant-values.ts';

/**
 * Deploys a closed account's release (application at zero, hosts on the closed page) with its
 * database awake (a final backup, an export) or asleep (kept for its window), and records what runs
 * as every deploy does (status, fleet versions, the reconciler's intent check). The caller holds
 * the tenant's lease and has recovered a release an earlier attempt left pending.
 */
export async function deployClosedRelease(
  deps: Pick<OperationDeps, 'config' | 'helm' | 'tenants' | 'now'>,
  tenant: TenantRecord,
  hibernated: boolean,
  signal: AbortSignal,
): Promise<HelmRelease> {
  const ref = tenantRef(deps.config, tenant.tenantId);
  const desired = { ...tenant.desired, hibernated };
  const { values, yaml } = tenantChartValues(deps.config, tenant, desired);
  const release = await deps.helm.upgradeInstall({
    release: ref.release,
    namespace: ref.namespace,
    chart: tenantChart(deps.config, desired),
    values: yaml,
    signal,
  });
  const at = deps.now?.() ?? new Date();
  await recordRunningVersion(deps.tenants, tenant.tenantId, runningVersionOf(release, { desired, values, yaml, database: servingDatabase(tenant) }, at));
  return release;
}
