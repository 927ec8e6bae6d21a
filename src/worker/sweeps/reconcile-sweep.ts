import { servingDatabase } from '../../domain/database-generation.ts';
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { releaseFor } from '../../domain/tenant-id.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import { requestCloseWindow, requestRepair, type LifecycleDeps } from '../../lifecycle/intake.ts';
import { windowExpired } from '../../lifecycle/blue-green.ts';
import { IntentLapsedError } from '../../lifecycle/errors.ts';
import { CNPG_HIBERNATION } from '../../kubernetes/readiness.ts';
import type { CachedDatabase, CachedDeployment, WorkloadCache } from '../../kubernetes/workload-cache.ts';
import type { Kubernetes } from '../../kubernetes/kube-client.ts';
import { latestReleaseRecord } from '../../kubernetes/release-records.ts';
import type { TenantWorkloads } from '../../kubernetes/tenant-workloads.ts';
import { tenantObjectNames } from '../../lifecycle/plans/plan-deps.ts';
import type { TenantLeases } from '../tenant-lease.ts';
import { tenantChartValues } from '../../lifecycle/tenant-values.ts';
import { findDrift, findIntentDrift, findWorkloadDrift, type ExpectedShape, type ObservedWorkloads } from './drift.ts';
import { eachAtMost } from '../../domain/each-at-most.ts';
import { recoverLostIntent } from './lost-intents.ts';
import { ownTenant } from '../../lifecycle/tenant-ref.ts';
import type { FleetTarget } from '../../domain/tenant-version.ts';
import { configuredTarget } from '../../helm/chart-version.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { countDrift, emptyDriftReport, versionDrift, type VersionDriftReport } from './version-drift.ts';
import { FIRST_SLOT } from '../../domain/slots.ts';

export type ReconcileDeps = LifecycleDeps & {
  workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment'>;
  kube: Pick<Kubernetes, 'core'>;
  leases: Pick<TenantLeases, 'holder'>;
  queue: Pick<Queue, 'getJob'>;
  logger: Logger;
  /** The configured version tenants are compared with; by default the configured chart's and images'. */
  fleetTarget?: (() => FleetTarget) | undefined;
  metrics?: Pick<Metrics, 'versionDrift'> | undefined;
  /** Deployments and Clusters from watches (workload-cache.ts); per-tenant reads while it does not follow. */
  workloadCache?: ObservedWorkloadCache;
};

type ObservedWorkloadCache = Pick<WorkloadCache, 'following' | 'database' | 'deployment'>;

export type ReconcileReport = {
  checked: number;
  requeued: string[];
  retried: string[];
  repaired: Array<{ tenantId: string; reason: string }>;
  /** Tenants whose blue-green switch window ended: an update scales the previous slot away. */
  windowsClosed: string[];
  /** Namespaces from before the lookup index that this sweep labelled (tenant-index.ts). */
  reindexed: number;
  /** Tenants not on their target version: reported only; moving them is a rollout's job, not the sweep's. */
  versionDrift: VersionDriftReport;
};

const pending = (t: TenantRecord) => t.operation !== null && (t.operation.state === 'queued' || t.operation.state === 'active');

/** A deterministic id per observed intent, so two sweeps at once enqueue one repair; hashed so ids never nest. */
const repairJobId = (t: TenantRecord) => `repair-${t.tenantId}-${createHash('sha256').update(JSON.stringify(t.operation)).digest('hex').slice(0, 16)}`;

// The cache's slim objects or whole ones read from the API server: only these fields are compared.
function workloadShape(db: CachedDatabase | undefined, api: CachedDeployment | undefined, web: CachedDeployment | undefined): ObservedWorkloads {
  return {
    database: db && { instances: db.spec?.instances, hibernated: db.metadata?.annotations?.[CNPG_HIBERNATION] === 'on' },
    apiReplicas: api?.spec?.replicas,
    webReplicas: web?.spec?.replicas,
  };
}

/**
 * Why the tenant's cluster state differs from `expected`, or undefined. From the watch-fed cache
 * while it follows: no request for a tenant whose workloads are as desired, and its release read
 * only when they are not, to name the cause (so a release failed or left pending by hand while
 * every object still matches waits for the next operation's release recovery). Otherwise the
 * release and the three objects are read.
 */
async function driftOf(deps: ReconcileDeps, t: TenantRecord, expected: ExpectedShape, now: Date, stuckAfterSeconds: number): Promise<string | undefined> {
  // The desired slot: a switch not yet made shows as its Deployments missing, and is converged.
  const names = tenantObjectNames(t.tenantId, t.desired.slot ?? FIRST_SLOT, servingDatabase(t).generation);
  const readRelease = () => latestReleaseRecord(deps.kube.core, t.namespace, releaseFor(deps.config.platform.releasePrefix, t.tenantId));
  const cache = deps.workloadCache?.following() ? deps.workloadCache : undefined;
  if (cache) {
    const workloads = workloadShape(
      cache.database(t.namespace, names.database),
      cache.deployment(t.namespace, names.api),
      cache.deployment(t.namespace, names.web),
    );
    if (!findWorkloadDrift(expected, workloads)) return undefined;
    return findDrift(expected, { release: await readRelease(), ...workloads }, now, stuckAfterSeconds);
  }
  const [release, db, api, web] = await Promise.all([
    readRelease(),
    deps.workloads.readDatabase(t.namespace, names.database),
    deps.workloads.readDeployment(t.namespace, names.api),
    deps.workloads.readDeployment(t.namespace, names.web),
  ]);
  return findDrift(expected, { release, ...workloadShape(db, api, web) }, now, stuckAfterSeconds);
}

/**
 * Level-based repair, because BullMQ delivers at least once and a Redis crash can lose the last
 * writes: for every managed tenant, an accepted operation whose job is gone is queued again, and a
 * tenant whose last operation completed but whose cluster state no longer matches its desired
 * state gets a converge job. Tenants a job holds (the lease), being removed, closed, or whose last
 * operation failed (they wait for a person or a new request) are left alone.
 */
export async function reconcileTenants(deps: ReconcileDeps): Promise<ReconcileReport> {
  const now = deps.now?.() ?? new Date();
  const { lostIntentAfterSeconds, stuckAfterSeconds, tenantsAtOnce } = deps.config.provisioning.reconcile;
  const report: ReconcileReport = { checked: 0, requeued: [], retried: [], repaired: [], windowsClosed: [], reindexed: 0, versionDrift: emptyDriftReport() };
  const { windowSeconds } = deps.config.provisioning.blueGreen;
  const target = (deps.fleetTarget ?? configuredTarget(deps.config.platform))();
  try {
    // One empty list once every namespace is labelled; until then lookups also walk the unlabelled.
    report.reindexed = await deps.tenants.backfillIndex();
  } catch (error) {
    deps.logger.warn({ err: error }, 'reconcile: the lookup index backfill failed; lookups still find unlabelled tenants');
  }
  const check = async (t: TenantRecord) => {
    if (!ownTenant(deps.config, t)) return;
    report.checked++;
    // From the namespace the sweep already has: no request. A tenant leaving the fleet is not drift.
    if (!t.terminating) countDrift(report.versionDrift, versionDrift(t, target));
    try {
      if (pending(t)) {
        if ((now.getTime() - Date.parse(t.operation!.at)) / 1000 < lostIntentAfterSeconds) return;
        const done = await recoverLostIntent({ ...deps, releasePrefix: deps.config.platform.releasePrefix }, t, t.operation!);
        if (done) report[done].push(t.tenantId);
        return;
      }
      // A closed account is offboarding's: an update (the repair) is refused on it, and its purge ends it.
      if (t.terminating || t.desired.closed || t.operation?.state === 'failed' || (await deps.leases.holder(t.tenantId)) !== undefined) return;
      if (windowExpired(t, now, windowSeconds)) {
        // One job per window: its id names the deploy the window is counted from.
        const jobId = `close-window-${t.tenantId}-${Date.parse(t.running!.at)}`;
        const closed = await requestCloseWindow(deps, t.tenantId, { jobId, now, windowSeconds }).catch((error: unknown) => {
          if (error instanceof IntentLapsedError) return undefined;
          throw error;
        });
        if (closed) report.windowsClosed.push(t.tenantId);
        return;
      }
      const v = tenantChartValues(deps.config, { tenantId: t.tenantId, companyName: t.companyName, expiresAt: t.expiresAt }, t.desired).values;
      const expected: ExpectedShape = {
        hibernated: v.hibernated,
        postgresInstances: v.postgres.instances,
        apiReplicas: v.api.replicas,
        webReplicas: v.web.replicas,
      };
      const reason = findIntentDrift(t.desired, t.running) ?? (await driftOf(deps, t, expected, now, stuckAfterSeconds));
      if (!reason) return;
      await requestRepair(deps, t.tenantId, { jobId: repairJobId(t) });
      report.repaired.push({ tenantId: t.tenantId, reason });
    } catch (error) {
      // One tenant's trouble must not stop the sweep for the others.
      deps.logger.warn({ err: error, tenantId: t.tenantId }, 'reconcile: tenant skipped');
    }
  };
  await eachAtMost(deps.tenants.all(), tenantsAtOnce, check);
  deps.metrics?.versionDrift(report.versionDrift);
  const drift = report.versionDrift;
  if (drift.drifted > 0) {
    const shown = drift.tenants.map(
      (d) => `${d.tenantId} ${d.running.chart}/${d.running.app} → ${d.target.chart ?? '*'}/${d.target.app}${d.pinned ? ' (pinned)' : ''}`,
    );
    deps.logger.warn(
      { drifted: drift.drifted, unknown: drift.unknown, target, tenants: shown },
      'reconcile: tenants off their target version (reported, not repaired: a rollout moves them)',
    );
  }
  if (report.requeued.length + report.retried.length + report.repaired.length + report.windowsClosed.length + report.reindexed > 0)
    deps.logger.info(report, 'reconcile sweep acted');
  return report;
}
