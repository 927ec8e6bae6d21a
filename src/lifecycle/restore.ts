import { databaseName, pendingRestore } from '../domain/database-generation.ts';
import { changeIntent } from './change-intent.ts';
import type { OperationDeps } from './plans/plan-deps.ts';
import { recordRunningVersion, runningVersionOf } from './running-version.ts';
import { tenantChart } from './tenant-chart.ts';
import type { TenantRef } from './tenant-ref.ts';
import { tenantChartValues } from './tenant-values.ts';

/**
 * After a restore failed before the application moved (the restored database never became ready,
 * Helm refused): the intent goes back to the serving database, unless a newer request replaced this
 * job's, and the release is upgraded to it alone, which removes the staged Cluster. The serving one
 * renders as it did, so nothing of it changes. Resolves what was done, for the job's log.
 */
export async function abandonRestore(deps: OperationDeps, ref: TenantRef, jobId: string, signal: AbortSignal): Promise<string | undefined> {
  const outcome = await changeIntent(deps.tenants, ref.tenantId, (t) => {
    const pending = t.operation?.jobId === jobId && !t.terminating ? pendingRestore(t) : undefined;
    if (!pending) return { result: undefined };
    const desired = { ...t.desired, database: pending.serving };
    return { change: { desired }, result: { tenant: t, pending, desired } };
  });
  if (!outcome?.result) return undefined;
  const { tenant, pending, desired } = outcome.result;
  const built = tenantChartValues(deps.config, tenant, desired);
  const release = await deps.helm.upgradeInstall({
    release: ref.release,
    namespace: ref.namespace,
    chart: tenantChart(deps.config, desired),
    values: built.yaml,
    signal,
  });
  const running = runningVersionOf(release, { desired, ...built, database: pending.serving }, deps.now?.() ?? new Date());
  await recordRunningVersion(deps.tenants, ref.tenantId, running);
  const [serving, staged] = [databaseName(ref.tenantId, pending.serving.generation), databaseName(ref.tenantId, pending.next.generation)];
  return `restore into ${staged} given up: ${serving} keeps serving, unchanged; ${staged} removed (revision ${release.revision})`;
}
