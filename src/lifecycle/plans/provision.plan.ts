import { tenantSecretNames } from '../../domain/tenant-secrets.ts';
import type { DesiredState } from '../../domain/tenant-record.ts';
import type { ProvisionJob } from '../../jobs/job-catalog.ts';
import { PermanentError } from '../../worker/failure.ts';
import { ensureTenantInputs, revokeCloneSource } from './tenant-inputs.ts';
import { backupPreflightStep, type PreflightNeed } from './backup-preflight.step.ts';
import { recoverRelease } from '../release-recovery.ts';
import type { Step } from '../../worker/step-runner.ts';
import { tenantChartValues } from '../tenant-values.ts';
import { tenantObjectNames, type OperationDeps } from './plan-deps.ts';
import { callOptions } from '../../kubernetes/kube-call.ts';
import { recordMarker } from '../markers.ts';
import { tenantRef } from '../tenant-ref.ts';
import { recordRunningVersion, runningVersionOf } from '../running-version.ts';
import { FIRST_SLOT } from '../../domain/slots.ts';
import { tenantChart } from '../tenant-chart.ts';
import { latestReleaseRecord } from '../../kubernetes/release-records.ts';

/** What a finished provision reports (the seed's TenantProvisioningResult, minus any password). */
export type ProvisionResult = {
  tenantId: string;
  namespace: string;
  release: { name: string; revision: number };
  urls: { tenant: string; api: string; custom: string | null };
  credentials: { secretName: string; usernameKey: string; passwordKey: string; retrieveAt: string };
  resources: { tier: string; postgresInstances: number; postgresStorageSize: string; apiReplicas: number; webReplicas: number; mechanicLimit: number | null };
  expiresAt: string | null;
  billing: { stripeCustomerId: string | null; stripeSubscriptionId: string | null };
  durationSeconds: number;
};

/**
 * The seed's 13 steps, each with real work and each safe to run again: a retried job after a
 * killed worker converges on the same namespace, Secrets and release. The desired state and the
 * expiry are read from the namespace, not the payload: an update or hibernation accepted while
 * this job waited must not be undone by it, and a demo upgraded meanwhile must not expire.
 */
export function provisionSteps(deps: OperationDeps, jobId: string, payload: ProvisionJob, result: Partial<ProvisionResult>): Step[] {
  const { config, kube, tenants, workloads, helm } = deps;
  // Where the tenant lives comes from its id, never from the payload's strings.
  const job = { ...payload, ...tenantRef(config, payload.tenantId) };
  const t = config.timeouts;
  // A provision starts on the first slot (the values builder's default).
  const names = tenantObjectNames(job.tenantId, FIRST_SLOT);
  let desired: DesiredState = job.desired;
  let expiresAt = job.expiresAt;
  let valuesYaml = '';
  let values: ReturnType<typeof tenantChartValues>['values'] | undefined;

  return [
    {
      name: 'validate',
      timeoutSeconds: t.validate,
      mutates: false,
      async run({ signal }) {
        const tenant = await tenants.get(job.tenantId);
        if (!tenant) throw new PermanentError(`tenant ${job.tenantId} has no namespace (its intent was withdrawn)`);
        if (tenant.terminating) throw new PermanentError(`namespace ${job.namespace} is being deleted`);
        desired = tenant.desired;
        expiresAt = tenant.expiresAt;
        const [version, helmVersion] = await Promise.all([kube.version.getCode(callOptions(signal)), helm.version(signal)]);
        signal.throwIfAborted();
        return `cluster ${version.gitVersion} and Helm ${helmVersion} reachable; tier ${desired.tier} configured`;
      },
    },
    {
      name: 'generate-id',
      timeoutSeconds: t.defaultStep,
      async run({ signal }) {
        await tenants.ensureAccess(job.tenantId, signal);
        await recordMarker(tenants, job.tenantId, { type: 'provision', jobId, state: 'active', at: new Date().toISOString() });
        return `tenant ${job.tenantId} in namespace ${job.namespace}, release ${job.release}`;
      },
    },
    {
      name: 'build-values',
      timeoutSeconds: t.defaultStep,
      async run({ note, signal }) {
        const built = tenantChartValues(config, { tenantId: job.tenantId, companyName: job.companyName, expiresAt }, desired);
        values = built.values;
        valuesYaml = built.yaml;
        const created = await ensureTenantInputs(deps, job.tenantId, job.namespace, values, signal, { readCloneSource: true });
        if (created.length > 0) await note(`created Secrets ${created.join(', ')}`);
        return `values for tier ${desired.tier} built (${valuesYaml.length} bytes, no secrets); ${created.length === 0 ? 'existing Secrets kept' : `${created.length} Secrets created`}`;
      },
    },
    ...(deps.backupPreflight
      ? [
          backupPreflightStep(
            deps.backupPreflight,
            job,
            (): PreflightNeed => (values?.backup.enabled ? { kind: 'gate', always: true } : { kind: 'none', why: `tier ${desired.tier} has no backups` }),
            t.defaultStep,
          ),
        ]
      : []),
    {
      name: 'deploy-chart',
      timeoutSeconds: t.deployChart,
      async run({ signal, note }) {
        const latest = () => latestReleaseRecord(kube.core, job.namespace, job.release, signal);
        const recovered = await recoverRelease(helm, job.release, job.namespace, signal, latest);
        if (recovered) await note(recovered, 'warn');
        const release = await helm.upgradeInstall({
          release: job.release,
          namespace: job.namespace,
          chart: tenantChart(config, desired),
          values: valuesYaml,
          signal,
        });
        result.release = { name: release.name, revision: release.revision };
        await recordRunningVersion(
          tenants,
          job.tenantId,
          runningVersionOf(release, { desired, values: values!, yaml: valuesYaml }, deps.now?.() ?? new Date()),
        );
        return `release ${release.name} revision ${release.revision} ${release.status}`;
      },
    },
    {
      name: 'wait-for-database',
      timeoutSeconds: t.waitForDatabase,
      mutates: false,
      async run({ signal, note }) {
        const o = { timeoutMs: t.waitForDatabase * 1000, signal, onChange: (r: string) => void note(r, 'debug') };
        // Hibernation requested before this job ran: the database is expected asleep, not ready.
        if (desired.hibernated)
          return `PostgreSQL hibernated as requested (${(await workloads.waitForDatabaseHibernated(job.namespace, names.database, o)).phase})`;
        const db = await workloads.waitForDatabase(job.namespace, names.database, o);
        const revoked = await revokeCloneSource(deps, job.tenantId, job.namespace, values!, signal);
        return `PostgreSQL ready: ${db.readyInstances}/${db.instances} instances (${db.phase})${revoked ? `; ${revoked}` : ''}`;
      },
    },
    {
      name: 'wait-for-api',
      timeoutSeconds: t.waitForApi,
      mutates: false,
      async run({ signal, note }) {
        const api = await workloads.waitForDeployment(job.namespace, names.api, {
          timeoutMs: t.waitForApi * 1000,
          signal,
          onChange: (r) => void note(r, 'debug'),
        });
        return `API ready: ${api.readyReplicas}/${api.replicas} replicas`;
      },
    },
    {
      name: 'wait-for-web',
      timeoutSeconds: t.waitForWeb,
      mutates: false,
      async run({ signal, note }) {
        const web = await workloads.waitForDeployment(job.namespace, names.web, {
          timeoutMs: t.waitForWeb * 1000,
          signal,
          onChange: (r) => void note(r, 'debug'),
        });
        return `Web ready: ${web.readyReplicas}/${web.replicas} replicas`;
      },
    },
    {
      name: 'set-urls',
      timeoutSeconds: t.defaultStep,
      mutates: false,
      async run() {
        // Reported from the intent as it is now, never written back: the intake records the custom
        // domain, and a value captured when this job started may since have been changed.
        const current = (await tenants.get(job.tenantId))?.desired ?? desired;
        const tenant = `https://${job.tenantId}.${config.platform.baseDomain}`;
        const custom = current.customDomain ? `https://${current.customDomain}` : null;
        result.urls = { tenant, api: `${tenant}/api`, custom };
        return custom ? `${tenant} and ${custom}` : tenant;
      },
    },
    {
      name: 'set-admin-credentials',
      timeoutSeconds: t.defaultStep,
      mutates: false,
      async run({ signal }) {
        const secretName = tenantSecretNames(job.tenantId).admin;
        await kube.core.readNamespacedSecret({ namespace: job.namespace, name: secretName }, callOptions(signal));
        result.credentials = {
          secretName,
          usernameKey: 'username',
          passwordKey: 'password',
          retrieveAt: `/api/provisioning/${job.tenantId}/credentials`,
        };
        return `admin ${config.provisioning.adminUsername}; password kept in Secret ${secretName}`;
      },
    },
    {
      name: 'set-resource-allocation',
      timeoutSeconds: t.defaultStep,
      mutates: false,
      async run() {
        const v = values!;
        result.resources = {
          tier: desired.tier,
          postgresInstances: v.postgres.instances,
          postgresStorageSize: v.postgres.storage.size,
          apiReplicas: v.api.replicas,
          webReplicas: v.web.replicas,
          mechanicLimit: v.tenant.mechanicLimit,
        };
        return `PostgreSQL ${v.postgres.instances}×${v.postgres.storage.size}, API ${v.api.replicas}, Web ${v.web.replicas}, mechanics ${v.tenant.mechanicLimit ?? 'unlimited'}`;
      },
    },
    {
      name: 'set-expiry',
      timeoutSeconds: t.defaultStep,
      mutates: false,
      async run() {
        // Stamped once at intake and never recomputed, so a retry or an upgrade never extends a demo.
        // Read back rather than written again: a demo upgraded meanwhile has had its expiry cleared.
        result.expiresAt = expiresAt;
        return expiresAt ? `expires at ${expiresAt}; the expiry sweep acts on it` : 'does not expire';
      },
    },
    {
      name: 'set-billing-info',
      timeoutSeconds: t.defaultStep,
      mutates: false,
      async run() {
        // The ids were recorded with the tenant at intake; billing may have linked newer ones since,
        // so they are read, never overwritten with the payload's.
        const current = await tenants.get(job.tenantId);
        const billing = { stripeCustomerId: current?.stripeCustomerId ?? null, stripeSubscriptionId: current?.stripeSubscriptionId ?? null };
        result.billing = billing;
        return billing.stripeCustomerId ? `Stripe customer ${billing.stripeCustomerId}` : 'no billing ids';
      },
    },
    {
      name: 'return-result',
      timeoutSeconds: t.defaultStep,
      async run() {
        result.tenantId = job.tenantId;
        result.namespace = job.namespace;
        // Measured from the request, which is what the customer waited.
        result.durationSeconds = Math.round((Date.now() - Date.parse(job.requestedAt)) / 100) / 10;
        await recordMarker(tenants, job.tenantId, { type: 'provision', jobId, state: 'completed', at: new Date().toISOString() });
        return `provisioned ${job.tenantId} in ${result.durationSeconds} s`;
      },
    },
  ];
}
