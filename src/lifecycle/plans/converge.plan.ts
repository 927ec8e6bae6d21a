import { servingDatabase } from '../../domain/database-generation.ts';
import type { ChartValues } from '../../domain/chart-values.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import type { ConvergeJob } from '../../jobs/job-catalog.ts';
import { removeStrayHibernation } from '../../kubernetes/database-hibernation.ts';
import { createSmokeChecks } from '../../kubernetes/smoke-check-job.ts';
import { runSmokeCheck, smokeStepSeconds } from '../smoke-check.ts';
import { ensureTenantInputs } from './tenant-inputs.ts';
import { tenantObjectNames, type OperationDeps } from './plan-deps.ts';
import { recordMarker } from '../markers.ts';
import { tenantRef } from '../tenant-ref.ts';
import { recoverRelease, rollBackToLastDeployed } from '../release-recovery.ts';
import type { Step } from '../../worker/step-runner.ts';
import { tenantChartValues } from '../tenant-values.ts';
import { backupPreflightStep, type PreflightNeed } from './backup-preflight.step.ts';
import { recordRunningVersion, runningVersionOf, switchedRunningVersion } from '../running-version.ts';
import { FIRST_SLOT } from '../../domain/slots.ts';
import { appVersionOf } from '../../domain/tenant-version.ts';
import { pendingSwitch, stagedLayout, switchServicesTo, type PendingSwitch } from '../blue-green.ts';
import { tenantChart } from '../tenant-chart.ts';
import { latestReleaseRecord } from '../../kubernetes/release-records.ts';

export type ConvergeResult = {
  tenantId: string;
  namespace: string;
  /** True when the tenant was gone or being removed: a later request superseded this one. */
  superseded: boolean;
  tier?: string;
  hibernated?: boolean;
  release?: { name: string; revision: number };
  resources?: { postgresInstances: number; postgresStorageSize: string; apiReplicas: number; webReplicas: number };
  expiresAt?: string | null;
};

/**
 * Update, hibernate, resume and undelete are one plan: converge the release to the desired state read from
 * the namespace when the job starts (so queued requests coalesce to the latest), then wait until
 * the cluster shows it. A failed upgrade goes back to the last deployed revision; nothing here
 * uninstalls a live release or deletes a database, and the tenant's Secrets are only ever created.
 */
export function convergeSteps(
  deps: OperationDeps,
  jobId: string,
  type: 'update' | 'hibernate' | 'resume' | 'undelete',
  payload: ConvergeJob,
  result: Partial<ConvergeResult>,
): Step[] {
  const { config, tenants, workloads, helm } = deps;
  const job = { ...payload, ...tenantRef(config, payload.tenantId) };
  const t = config.timeouts;
  const { smokeCheck } = config.provisioning.blueGreen;
  let tenant: TenantRecord | undefined;
  // A new release on a running tenant is a blue-green switch: staged on the other slot first.
  let pending: PendingSwitch | undefined;
  // The slot whose Deployments must become ready: the one the desired state serves from.
  let names = tenantObjectNames(job.tenantId, FIRST_SLOT);
  let valuesYaml = '';
  let values: ReturnType<typeof tenantChartValues>['values'] | undefined;
  let settled: ReturnType<typeof tenantChartValues> | undefined;
  // What the upgrade deployed, as recorded: the switch records the same release serving the other slot.
  let deployed: ReturnType<typeof runningVersionOf> | undefined;
  const gone = () => tenant === undefined;
  const wait = (seconds: number, note: (m: string, l?: 'debug') => Promise<void>, signal: AbortSignal) => ({
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
        Object.assign(result, { tenantId: job.tenantId, namespace: job.namespace, superseded: gone() });
        if (!tenant) return `tenant ${job.tenantId} is gone or being removed; nothing to converge`;
        await tenants.ensureAccess(job.tenantId, signal);
        await recordMarker(tenants, job.tenantId, { type, jobId, state: 'active', at: new Date().toISOString() });
        const d = tenant.desired;
        pending = pendingSwitch(config.platform.images, tenant);
        names = tenantObjectNames(job.tenantId, d.slot ?? FIRST_SLOT, servingDatabase(tenant).generation);
        const release = pending ? `; switching from ${pending.from} to ${pending.to} (${appVersionOf(pending.next)})` : '';
        return `desired: tier ${d.tier}, ${d.hibernated ? 'hibernated' : 'running'}, domain ${d.customDomain ?? 'none'}${release}`;
      },
    },
    {
      name: 'build-values',
      timeoutSeconds: t.defaultStep,
      async run({ note, signal }) {
        if (!tenant) return 'skipped';
        settled = tenantChartValues(config, tenant, tenant.desired);
        // Staged: the serving slot renders exactly as it runs, so deploying the new one changes nothing that serves.
        const built = pending ? tenantChartValues(config, tenant, tenant.desired, stagedLayout(pending)) : settled;
        valuesYaml = built.yaml;
        values = built.values;
        const v = built.values;
        Object.assign(result, {
          tier: tenant.desired.tier,
          hibernated: tenant.desired.hibernated,
          expiresAt: tenant.expiresAt,
          resources: {
            postgresInstances: v.postgres.instances,
            postgresStorageSize: v.postgres.storage.size,
            apiReplicas: v.api.replicas,
            webReplicas: v.web.replicas,
          },
        });
        // Create-once: an update never rotates a Secret; a missing one (an update that overtook its provision) is created.
        // A store outage never keeps a shop asleep (nor awake): hibernate and resume carry on without the account check.
        const outage = type === 'hibernate' || type === 'resume' ? note : undefined;
        const created = await ensureTenantInputs(deps, job.tenantId, job.namespace, v, signal, { storeOutage: outage });
        if (created.length > 0) await note(`created Secrets ${created.join(', ')}`);
        return `values for tier ${tenant.desired.tier} built; ${created.length === 0 ? 'Secrets unchanged' : `${created.length} Secrets created`}`;
      },
    },
    ...(deps.backupPreflight ? [backupPreflightStep(deps.backupPreflight, job, () => preflightNeed(type, tenant, values), t.defaultStep)] : []),
    {
      name: 'recover-release',
      timeoutSeconds: t.deployChart,
      async run({ signal }) {
        if (gone()) return 'skipped';
        const latest = () => latestReleaseRecord(deps.kube.core, job.namespace, job.release, signal);
        return (await recoverRelease(helm, job.release, job.namespace, signal, latest)) ?? `release ${job.release} needs no recovery`;
      },
    },
    {
      name: 'upgrade-release',
      timeoutSeconds: t.deployChart,
      async run({ signal, note }) {
        if (gone()) return 'skipped';
        try {
          const release = await helm.upgradeInstall({
            release: job.release,
            namespace: job.namespace,
            chart: tenantChart(config, tenant!.desired),
            values: valuesYaml,
            signal,
          });
          result.release = { name: release.name, revision: release.revision };
          // What was deployed, from Helm's answer and the values it was given (the fleet's version skew).
          deployed = runningVersionOf(
            release,
            { desired: tenant!.desired, values: values!, yaml: valuesYaml, database: servingDatabase(tenant!) },
            deps.now?.() ?? new Date(),
          );
          await recordRunningVersion(tenants, job.tenantId, deployed);
          if (!tenant!.desired.hibernated && (await removeStrayHibernation(deps.kube, job.namespace, names.database, signal))) {
            await note('removed a cnpg.io/hibernation annotation the release does not own (set by hand)', 'warn');
          }
          return `release ${release.name} revision ${release.revision} ${release.status}`;
        } catch (error) {
          // Cancelled (shutdown, lost lease): Helm marked the release failed; the next holder upgrades over it.
          if (!signal.aborted) {
            const rolledBack = await rollBackToLastDeployed(helm, job.release, job.namespace, AbortSignal.timeout(t.deployChart * 1000));
            if (rolledBack) await note(rolledBack, 'warn');
          }
          throw error;
        }
      },
    },
    {
      name: 'wait-for-database',
      timeoutSeconds: t.waitForDatabase,
      mutates: false,
      async run({ signal, note }) {
        if (!tenant) return 'skipped';
        const o = wait(t.waitForDatabase, note, signal);
        if (tenant.desired.hibernated) {
          await workloads.waitForDatabaseHibernated(job.namespace, names.database, o);
          return 'PostgreSQL hibernated; volumes kept';
        }
        const db = await workloads.waitForDatabase(job.namespace, names.database, o);
        return `PostgreSQL ready: ${db.readyInstances}/${db.instances} instances`;
      },
    },
    ...(['api', 'web'] as const).map(
      (component): Step => ({
        name: `wait-for-${component}`,
        timeoutSeconds: component === 'api' ? t.waitForApi : t.waitForWeb,
        mutates: false,
        async run({ signal, note }) {
          if (!tenant) return 'skipped';
          // Hibernated: the chart renders 0 replicas, and a rollout to 0 is "ready" at 0/0.
          const d = await workloads.waitForDeployment(job.namespace, names[component], wait(component === 'api' ? t.waitForApi : t.waitForWeb, note, signal));
          return `${component === 'api' ? 'API' : 'Web'} at ${d.readyReplicas}/${d.replicas} replicas`;
        },
      }),
    ),
    // Readiness says the pods started; a configured smoke check asks the staged slot over HTTP before
    // it takes traffic. Without one the plan has no such step (no progress events for nothing).
    ...(smokeCheck
      ? [
          {
            name: 'smoke-check',
            timeoutSeconds: smokeStepSeconds(smokeCheck),
            async run({ signal, note }) {
              if (!tenant) return 'skipped';
              const smokeChecks = createSmokeChecks(deps.kube);
              return runSmokeCheck(smokeCheck, smokeChecks, job, jobId, pending, { signal, onChange: (reason) => void note(reason, 'debug') });
            },
          } satisfies Step,
        ]
      : []),
    {
      name: 'switch-traffic',
      timeoutSeconds: t.defaultStep,
      async run({ signal }) {
        if (!tenant || !pending) return 'no blue-green switch';
        // Only the Services' selectors change, as a rollback changes them: no second Helm upgrade (a
        // Helm child costs seconds of CPU per tenant, a fleet rollout's makespan). The release still
        // renders the staged selectors; the next upgrade renders the switched ones from the desired state.
        await switchServicesTo(deps, job, pending.to, signal);
        const before = deployed ?? tenant.running;
        if (before)
          await recordRunningVersion(
            tenants,
            job.tenantId,
            switchedRunningVersion(before, { desired: tenant.desired, ...settled!, database: servingDatabase(tenant) }, deps.now?.() ?? new Date()),
          );
        return `the Services select ${pending.to} (${appVersionOf(pending.next)}); ${pending.from} keeps running for the switch window`;
      },
    },
    {
      name: 'record-result',
      timeoutSeconds: t.defaultStep,
      async run() {
        if (!tenant) return `superseded: tenant ${job.tenantId} is gone or being removed`;
        await recordMarker(tenants, job.tenantId, { type, jobId, state: 'completed', at: new Date().toISOString() });
        return `${job.tenantId} converged to tier ${tenant.desired.tier}${tenant.desired.hibernated ? ', hibernated' : ''}`;
      },
    },
  ];
}

/**
 * An update gates on its backup store (it may be the configuration change that broke it); a resume
 * or an undelete only warns, so a store outage never keeps a tenant asleep or closed; a hibernation
 * does not ask.
 */
function preflightNeed(type: 'update' | 'hibernate' | 'resume' | 'undelete', tenant: TenantRecord | undefined, values: ChartValues | undefined): PreflightNeed {
  if (!tenant || !values) return { kind: 'none', why: 'nothing to converge' };
  if (!values.backup.enabled) return { kind: 'none', why: `tier ${tenant.desired.tier} has no backups` };
  if (type === 'hibernate') return { kind: 'none', why: 'a hibernation writes no backups' };
  return { kind: type === 'update' ? 'gate' : 'warn', always: false };
}
