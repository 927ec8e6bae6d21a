import { databaseName, pendingRestore, servingDatabase, type DatabaseSpec } from '../../domain/database-generation.ts';
import { FIRST_SLOT } from '../../domain/slots.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import type { ConvergeJob } from '../../jobs/job-catalog.ts';
import { latestReleaseRecord } from '../../kubernetes/release-records.ts';
import type { Step } from '../../worker/step-runner.ts';
import { recordMarker } from '../markers.ts';
import { recoverRelease } from '../release-recovery.ts';
import { recordRunningVersion, runningVersionOf } from '../running-version.ts';
import { tenantChart } from '../tenant-chart.ts';
import { tenantRef } from '../tenant-ref.ts';
import { settledLayout, tenantChartValues, type DatabaseLayout } from '../tenant-values.ts';
import { tenantObjectNames, type OperationDeps } from './plan-deps.ts';
import { ensureTenantInputs } from './tenant-inputs.ts';

export type RestoreResult = { tenantId: string; namespace: string; superseded: boolean; from?: string; to?: string };

/**
 * A restore, in three releases so the application never points at a database that is not ready:
 * the restored Cluster is staged beside the serving one (bootstrapped from the serving one's
 * archive, which it only reads); once it is ready the application moves to it with the old one
 * still rendered; once the API and Web run against it, the old one is removed. A job that fails
 * before the move leaves the old database serving, untouched (compensation, `abandonRestore`).
 */
export function restoreSteps(deps: OperationDeps, jobId: string, payload: ConvergeJob, result: Partial<RestoreResult>): Step[] {
  const { config, tenants, workloads, helm } = deps;
  const job = { ...payload, ...tenantRef(config, payload.tenantId) };
  const t = config.timeouts;
  let tenant: TenantRecord | undefined;
  let restore: { serving: DatabaseSpec; next: DatabaseSpec } | undefined;
  const idle = () => !tenant || !restore;

  /** One release with this database layout, recorded as running against `database`. */
  const deploy = async (databases: DatabaseLayout, database: DatabaseSpec, signal: AbortSignal) => {
    const built = tenantChartValues(config, tenant!, tenant!.desired, settledLayout(tenant!.desired), databases);
    const release = await helm.upgradeInstall({
      release: job.release,
      namespace: job.namespace,
      chart: tenantChart(config, tenant!.desired),
      values: built.yaml,
      signal,
    });
    await recordRunningVersion(tenants, job.tenantId, runningVersionOf(release, { desired: tenant!.desired, ...built, database }, deps.now?.() ?? new Date()));
    return release;
  };
  const names = (d: DatabaseSpec) => tenantObjectNames(job.tenantId, tenant?.desired.slot ?? FIRST_SLOT, d.generation);
  const waits = (seconds: number, note: (m: string, l?: 'debug') => Promise<void>, signal: AbortSignal) => ({
    timeoutMs: seconds * 1000,
    signal,
    onChange: (reason: string) => void note(reason, 'debug'),
  });

  return [
    {
      name: 'read-desired-state',
      timeoutSeconds: t.validate,
      async run({ signal }) {
        const found = await tenants.read(job.tenantId);
        tenant = found && !found.tenant.terminating ? found.tenant : undefined;
        restore = tenant ? pendingRestore(tenant) : undefined;
        Object.assign(result, { tenantId: job.tenantId, namespace: job.namespace, superseded: idle() });
        if (!tenant) return `tenant ${job.tenantId} is gone or being removed; nothing to restore`;
        await tenants.ensureAccess(job.tenantId, signal);
        await recordMarker(tenants, job.tenantId, { type: 'restore', jobId, state: 'active', at: new Date().toISOString() });
        if (!restore) return 'the application already uses the database the desired state names; only a database left beside it goes';
        const [from, to] = [databaseName(job.tenantId, restore.serving.generation), databaseName(job.tenantId, restore.next.generation)];
        Object.assign(result, { from, to });
        const target = restore.next.recovery?.target;
        const point = target && 'backupId' in target ? `backup ${target.backupId}` : `the state at ${target?.targetTime}`;
        return `restoring ${point} into ${to}; ${from} serves until it is ready`;
      },
    },
    {
      name: 'build-values',
      timeoutSeconds: t.defaultStep,
      async run({ note, signal }) {
        if (idle()) return 'skipped';
        const values = tenantChartValues(config, tenant!, tenant!.desired).values;
        const created = await ensureTenantInputs(deps, job.tenantId, job.namespace, values, signal);
        if (created.length > 0) await note(`created Secrets ${created.join(', ')}`);
        return `values built; ${created.length === 0 ? 'Secrets unchanged' : `${created.length} Secrets created`}`;
      },
    },
    {
      name: 'recover-release',
      timeoutSeconds: t.deployChart,
      async run({ signal }) {
        // Also with nothing pending: the last step upgrades the release in any case.
        if (!tenant) return 'skipped';
        const latest = () => latestReleaseRecord(deps.kube.core, job.namespace, job.release, signal);
        return (await recoverRelease(helm, job.release, job.namespace, signal, latest)) ?? `release ${job.release} needs no recovery`;
      },
    },
    {
      name: 'stage-restored-database',
      timeoutSeconds: t.deployChart,
      async run({ signal }) {
        if (idle()) return 'skipped';
        const { serving, next } = restore!;
        const release = await deploy({ serving, alongside: next }, serving, signal);
        return `revision ${release.revision}: ${names(next).database} created beside ${names(serving).database}, which still serves`;
      },
    },
    {
      name: 'wait-for-restored-database',
      timeoutSeconds: t.restore,
      mutates: false,
      async run({ signal, note }) {
        if (idle()) return 'skipped';
        const db = await workloads.waitForDatabase(job.namespace, names(restore!.next).database, waits(t.restore, note, signal));
        return `${names(restore!.next).database} ready: ${db.readyInstances}/${db.instances} instances`;
      },
    },
    {
      name: 'move-application',
      timeoutSeconds: t.deployChart,
      async run({ signal }) {
        if (idle()) return 'skipped';
        const { serving, next } = restore!;
        const release = await deploy({ serving: next, alongside: serving }, next, signal);
        return `revision ${release.revision}: the API and Web use ${names(next).database}; ${names(serving).database} kept until they run`;
      },
    },
    ...(['api', 'web'] as const).map(
      (component): Step => ({
        name: `wait-for-${component}`,
        timeoutSeconds: component === 'api' ? t.waitForApi : t.waitForWeb,
        mutates: false,
        async run({ signal, note }) {
          if (idle()) return 'skipped';
          const name = names(restore!.next)[component];
          const d = await workloads.waitForDeployment(job.namespace, name, waits(component === 'api' ? t.waitForApi : t.waitForWeb, note, signal));
          return `${component === 'api' ? 'API' : 'Web'} at ${d.readyReplicas}/${d.replicas} replicas on the restored database`;
        },
      }),
    ),
    {
      // Also when nothing was pending at the start: an attempt that died after the move left the old
      // Cluster rendered beside the restored one, and this retry is what removes it.
      name: 'remove-old-database',
      timeoutSeconds: t.deployChart,
      async run({ signal }) {
        if (!tenant) return 'skipped';
        const now = restore?.next ?? servingDatabase(tenant);
        const release = await deploy({ serving: now, alongside: null }, now, signal);
        const old = restore ? names(restore.serving).database : 'any other database';
        return `revision ${release.revision}: ${old} removed, ${names(now).database} alone; old backups stay in the object store`;
      },
    },
    {
      name: 'record-result',
      timeoutSeconds: t.defaultStep,
      async run() {
        if (!tenant) return `superseded: tenant ${job.tenantId} is gone or being removed`;
        await recordMarker(tenants, job.tenantId, { type: 'restore', jobId, state: 'completed', at: new Date().toISOString() });
        return restore ? `${job.tenantId} runs on ${names(restore.next).database}` : `${job.tenantId} unchanged`;
      },
    },
  ];
}
