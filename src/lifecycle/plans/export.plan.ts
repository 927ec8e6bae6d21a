import { createTenantExports, exportObjectKey } from '../../backup/tenant-exports.ts';
import { parseS3Url } from '../../backup/object-store-probe.ts';
import { servingDatabase } from '../../domain/database-generation.ts';
import { FIRST_SLOT } from '../../domain/slots.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import { tenantSecretNames } from '../../domain/tenant-secrets.ts';
import type { ExportJob } from '../../jobs/job-catalog.ts';
import { exportJobManifest } from '../../kubernetes/export-job.ts';
import { CNPG_HIBERNATION } from '../../kubernetes/readiness.ts';
import { runJobToVerdict } from '../../kubernetes/run-job.ts';
import { PermanentError } from '../../worker/failure.ts';
import type { Step } from '../../worker/step-runner.ts';
import { deployClosedRelease } from '../closed-release.ts';
import { recoverRelease } from '../release-recovery.ts';
import { tenantRef } from '../tenant-ref.ts';
import { tenantChartValues } from '../tenant-values.ts';
import { intakeVerdict } from '../transitions.ts';
import { tenantObjectNames, type OperationDeps } from './plan-deps.ts';

export type ExportResult = { tenantId: string; exportId: string; key: string; sizeBytes: number | null };

/** Whether the tenant is a closed account whose close completed: its database sleeps, and an export wakes it for the dump. */
export const closedAndAsleep = (t: Pick<TenantRecord, 'desired' | 'operation'>) =>
  t.desired.closed !== undefined && t.operation?.type === 'deprovision' && t.operation.state === 'completed';

/**
 * An export: `pg_dump` of the serving database, uploaded under the tenant's prefix by a Job in its
 * namespace (export-job.ts), then checked in the store with the tenant's own keys. It holds the
 * tenant's lease, because a closed account's database sleeps: it is woken for the dump (the
 * application stays at zero, the hosts on the closed page) and put back to sleep after, or by the
 * compensation when the export fails. It records no intent: a failed export says nothing about the
 * tenant, so it never reads as failed.
 */
export function exportSteps(deps: OperationDeps, payload: ExportJob, result: Partial<ExportResult>): Step[] {
  const { config, tenants, workloads, helm } = deps;
  const ref = tenantRef(config, payload.tenantId);
  const t = config.timeouts;
  const exports = createTenantExports(deps);
  let tenant: TenantRecord | undefined;
  let database = tenantObjectNames(ref.tenantId, FIRST_SLOT).database;
  let wake = false;
  // The database's name inside the Cluster and the image its server runs, as the release renders them.
  let rendered = { databaseName: '', postgresImage: config.platform.images.postgres };
  const waiting = (seconds: number, signal: AbortSignal, note: (m: string, l?: 'debug') => Promise<void>) => ({
    timeoutMs: seconds * 1000,
    signal,
    onChange: (reason: string) => void note(reason, 'debug'),
  });

  return [
    {
      name: 'check-tenant',
      timeoutSeconds: t.validate,
      mutates: false,
      async run({ signal }) {
        tenant = await tenants.get(ref.tenantId);
        if (!tenant || tenant.terminating) throw new PermanentError(`tenant ${ref.tenantId} is gone or being removed`);
        if (intakeVerdict(tenant, 'export') !== 'accept') throw new PermanentError(`tenant ${ref.tenantId} is being removed`);
        const values = tenantChartValues(config, tenant, tenant.desired).values;
        if (!values.backup.enabled) throw new PermanentError(`tier ${tenant.desired.tier} has no backup store for exports`);
        rendered = { databaseName: values.postgres.database, postgresImage: values.images.postgres };
        database = tenantObjectNames(ref.tenantId, FIRST_SLOT, servingDatabase(tenant).generation).database;
        const cluster = await workloads.readDatabase(ref.namespace, database, signal);
        if (!cluster) throw new PermanentError(`tenant ${ref.tenantId} has no database ${database}`);
        const asleep = cluster.metadata?.annotations?.[CNPG_HIBERNATION] === 'on';
        if (asleep && !tenant.desired.closed) throw new PermanentError(`tenant ${ref.tenantId} is hibernated: resume it first`);
        wake = asleep;
        Object.assign(result, { tenantId: ref.tenantId, exportId: payload.exportId });
        return `dumping database ${database}${wake ? ', woken for it (a closed account)' : ''}`;
      },
    },
    {
      name: 'wake-database',
      timeoutSeconds: t.deployChart + t.waitForDatabase,
      async run({ signal, note }) {
        if (!wake) return 'running';
        // An attempt that lost its lease mid-upgrade left the release pending: every upgrade fails until it is rolled back.
        const recovered = await recoverRelease(helm, ref.release, ref.namespace, signal);
        if (recovered) await note(recovered);
        await deployClosedRelease(deps, tenant!, false, signal);
        const db = await workloads.waitForDatabase(ref.namespace, database, waiting(t.waitForDatabase, signal, note));
        return `PostgreSQL ${db.readyInstances}/${db.instances} ready; the application stays at zero`;
      },
    },
    {
      name: 'dump-database',
      timeoutSeconds: t.backup,
      async run({ signal, note }) {
        const backup = config.platform.backup;
        const { bucket, prefix } = parseS3Url(backup.destinationPrefix!);
        const key = exportObjectKey(prefix ? `${prefix}/${ref.tenantId}` : ref.tenantId, payload.exportId);
        const secrets = tenantSecretNames(ref.tenantId);
        const manifest = exportJobManifest({
          namespace: ref.namespace,
          name: payload.exportId,
          release: ref.release,
          tenantId: ref.tenantId,
          postgresImage: rendered.postgresImage,
          uploadImage: backup.exports.uploadImage,
          database: { cluster: database, name: rendered.databaseName },
          secrets: { database: secrets.database, store: secrets.backupCredentials },
          destination: { url: `s3://${bucket}/${key}`, endpoint: backup.endpointUrl },
          regionFromSecret: backup.s3?.region === true,
          endpointCA: backup.endpointCA,
          // The Job gives up before the step does, so its own Failed condition is the reason seen.
          deadlineSeconds: Math.max(60, t.backup - 30),
          keepFinishedSeconds: backup.exports.keepFinishedSeconds,
        });
        const verdict = await runJobToVerdict(deps.kube, manifest, waiting(t.backup, signal, note), `export Job ${payload.exportId}`);
        if (!verdict.passed) throw new PermanentError(verdict.reason);
        result.key = key;
        return verdict.reason;
      },
    },
    {
      name: 'check-upload',
      timeoutSeconds: t.defaultStep,
      mutates: false,
      async run({ signal }) {
        // With the tenant's own keys: what the download URL will be signed with must reach the dump.
        const dump = await exports.head(ref.tenantId, payload.exportId, signal);
        if (!dump) throw new PermanentError(`the export Job succeeded but s3 has no ${result.key}`);
        result.sizeBytes = dump.sizeBytes;
        return `${dump.key} in the store (${dump.sizeBytes ?? '?'} bytes)`;
      },
    },
    {
      name: 'hibernate-database',
      timeoutSeconds: t.deployChart + t.waitForDatabase,
      async run({ signal, note }) {
        if (!wake) return 'left running';
        await deployClosedRelease(deps, tenant!, true, signal);
        await workloads.waitForDatabaseHibernated(ref.namespace, database, waiting(t.waitForDatabase, signal, note));
        return 'PostgreSQL asleep again; the account stays closed';
      },
    },
  ];
}

/** A failed export of a closed account leaves its database asleep, as the account was before. */
export async function compensateExport(deps: OperationDeps, tenantId: string, signal: AbortSignal): Promise<string> {
  const tenant = await deps.tenants.get(tenantId);
  if (!tenant || !closedAndAsleep(tenant)) return 'nothing to undo';
  await deployClosedRelease(deps, tenant, true, signal);
  return 'the closed account’s database put back to sleep';
}
