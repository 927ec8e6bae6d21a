import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { releaseFor } from '../../domain/tenant-id.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import { requestRepair, type LifecycleDeps } from '../../lifecycle/intake.ts';
import { CNPG_HIBERNATION } from '../../kubernetes/readiness.ts';
import type { Kubernetes } from '../../kubernetes/kube-client.ts';
import { latestReleaseRecord } from '../../kubernetes/release-records.ts';
import type { TenantWorkloads } from '../../kubernetes/tenant-workloads.ts';
import { tenantObjectNames } from '../../lifecycle/plans/plan-deps.ts';
import type { TenantLeases } from '../tenant-lease.ts';
import { tenantChartValues } from '../../lifecycle/tenant-values.ts';
import { findDrift, type ObservedShape } from './drift.ts';
import { eachAtMost } from './each-at-most.ts';
import { recoverLostIntent } from './lost-intents.ts';
import { ownTenant } from '../../lifecycle/tenant-ref.ts';

export type ReconcileDeps = LifecycleDeps & {
  workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment'>;
  kube: Pick<Kubernetes, 'core'>;
  leases: Pick<TenantLeases, 'holder'>;
  queue: Pick<Queue, 'getJob'>;
  logger: Logger;
};

export type ReconcileReport = {
  checked: number;
  requeued: string[];
  retried: string[];
  repaired: Array<{ tenantId: string; reason: string }>;
  /** Namespaces from before the lookup index that this sweep labelled (tenant-index.ts). */
  reindexed: number;
};

const pending = (t: TenantRecord) => t.operation !== null && (t.operation.state === 'queued' || t.operation.state === 'active');

/** A deterministic id per observed intent, so two sweeps at once enqueue one repair; hashed so ids never nest. */
const repairJobId = (t: TenantRecord) => `repair-${t.tenantId}-${createHash('sha256').update(JSON.stringify(t.operation)).digest('hex').slice(0, 16)}`;

async function observe(deps: ReconcileDeps, t: TenantRecord): Promise<ObservedShape> {
  const names = tenantObjectNames(t.tenantId);
  const [release, db, api, web] = await Promise.all([
    latestReleaseRecord(deps.kube.core, t.namespace, releaseFor(deps.config.platform.releasePrefix, t.tenantId)),
    deps.workloads.readDatabase(t.namespace, names.database),
    deps.workloads.readDeployment(t.namespace, names.api),
    deps.workloads.readDeployment(t.namespace, names.web),
  ]);
  return {
    release,
    database: db && { instances: db.spec?.instances, hibernated: db.metadata?.annotations?.[CNPG_HIBERNATION] === 'on' },
    apiReplicas: api?.spec?.replicas,
    webReplicas: web?.spec?.replicas,
  };
}

/**
 * Level-based repair, because BullMQ delivers at least once and a Redis crash can lose the last
 * writes: for every managed tenant, an accepted operation whose job is gone is queued again, and a
 * tenant whose last operation completed but whose cluster state no longer matches its desired
 * state gets a converge job. Tenants a job holds (the lease), being removed, or whose last
 * operation failed (they wait for a person or a new request) are left alone.
 */
export async function reconcileTenants(deps: ReconcileDeps): Promise<ReconcileReport> {
  const now = deps.now?.() ?? new Date();
  const { lostIntentAfterSeconds, stuckAfterSeconds, tenantsAtOnce } = deps.config.provisioning.reconcile;
  const report: ReconcileReport = { checked: 0, requeued: [], retried: [], repaired: [], reindexed: 0 };
  try {
    // One empty list once every namespace is labelled; until then lookups also walk the unlabelled.
    report.reindexed = await deps.tenants.backfillIndex();
  } catch (error) {
    deps.logger.warn({ err: error }, 'reconcile: the lookup index backfill failed; lookups still find unlabelled tenants');
  }
  const check = async (t: TenantRecord) => {
    if (!ownTenant(deps.config, t)) return;
    report.checked++;
    try {
      if (pending(t)) {
        if ((now.getTime() - Date.parse(t.operation!.at)) / 1000 < lostIntentAfterSeconds) return;
        const done = await recoverLostIntent({ ...deps, releasePrefix: deps.config.platform.releasePrefix }, t, t.operation!);
        if (done) report[done].push(t.tenantId);
        return;
      }
      if (t.terminating || t.operation?.state === 'failed' || (await deps.leases.holder(t.tenantId)) !== undefined) return;
      const v = tenantChartValues(deps.config, { tenantId: t.tenantId, companyName: t.companyName, expiresAt: t.expiresAt }, t.desired).values;
      const expected = { hibernated: v.hibernated, postgresInstances: v.postgres.instances, apiReplicas: v.api.replicas, webReplicas: v.web.replicas };
      const reason = findDrift(expected, await observe(deps, t), now, stuckAfterSeconds);
      if (!reason) return;
      await requestRepair(deps, t.tenantId, { jobId: repairJobId(t) });
      report.repaired.push({ tenantId: t.tenantId, reason });
    } catch (error) {
      // One tenant's trouble must not stop the sweep for the others.
      deps.logger.warn({ err: error, tenantId: t.tenantId }, 'reconcile: tenant skipped');
    }
  };
  await eachAtMost(deps.tenants.all(), tenantsAtOnce, check);
  if (report.requeued.length + report.retried.length + report.repaired.length + report.reindexed > 0) deps.logger.info(report, 'reconcile sweep acted');
  return report;
}
