import { servingDatabase } from '../../domain/database-generation.ts';
import { FIRST_SLOT } from '../../domain/slots.ts';
import type { DeprovisionJob } from '../../jobs/job-catalog.ts';
import { createTenantBackups } from '../../kubernetes/tenant-backups.ts';
import { PermanentError } from '../../worker/failure.ts';
import type { Step } from '../../worker/step-runner.ts';
import { recordMarker } from '../markers.ts';
import { finalBackupName, retentionSecondsOf } from '../offboarding.ts';
import { lastDeployedRevision, recoverRelease } from '../release-recovery.ts';
import type { HelmRelease } from '../../helm/helm-client.ts';
import { deployClosedRelease } from '../closed-release.ts';
import { deleteForRemoval, releaseDomains, removalVeto, uninstallForRemoval } from '../removal.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';
import { tenantRef } from '../tenant-ref.ts';
import { tenantObjectNames, type OperationDeps } from './plan-deps.ts';

export type DeprovisionResult = {
  tenantId: string;
  namespace: string;
  removed: boolean;
  durationSeconds: number;
  keptBecause?: string;
  /** A close with a retention window: kept, closed, until then (undelete brings it back). */
  closedUntil?: string;
  /** The final backup a close took (tiers with backups), kept in the object store after the purge. */
  finalBackup?: { name: string; backupId: string | null };
};

/**
 * A deprovision closes the account (src/lifecycle/offboarding.ts): application to zero and hosts to
 * the closed page, a final backup followed to `completed`, then either the database hibernated and
 * the namespace kept for the tier's window, or, with a window of 0, the purge in the same job. A
 * purge (its window passed, or `force`) is the removal alone. A tenant whose release never deployed
 * holds no data: it is purged at once, without a close.
 *
 * Idempotent at every step: a release or namespace that is already gone counts as removed, the
 * final backup is found by name on a retry. Every destructive call is decided again right before it
 * is made (src/lifecycle/removal.ts): a removal that is no longer the tenant's intent, an expiry
 * removal of a tenant that paid, or a retention purge of an account reopened since removes nothing.
 */
export function deprovisionSteps(
  deps: OperationDeps,
  jobId: string,
  payload: DeprovisionJob,
  result: Partial<DeprovisionResult>,
  type: 'deprovision' | 'purge' = 'deprovision',
): Step[] {
  const { tenants, workloads, config, helm } = deps;
  const ref = tenantRef(config, payload.tenantId);
  const t = config.timeouts;
  const now = () => deps.now?.() ?? new Date();
  let present = true;
  let removing: TenantRecord | undefined;
  // What this close does, decided by validate: close the application first, take a final backup, keep the namespace.
  let plan = { close: false, finalBackup: false, keep: false };
  // The release's history as validate read it: the close's recovery needs no second Helm child when it is deployed.
  let history: HelmRelease[] = [];
  const finish = (removed: boolean) =>
    Object.assign(result, {
      tenantId: ref.tenantId,
      namespace: ref.namespace,
      removed,
      durationSeconds: Math.round((Date.now() - Date.parse(payload.requestedAt)) / 100) / 10,
    });
  const waiting = (seconds: number, signal: AbortSignal, note: (m: string, l?: 'debug') => Promise<void>) => ({
    timeoutMs: seconds * 1000,
    signal,
    onChange: (reason: string) => void note(reason, 'debug'),
  });
  const database = () => tenantObjectNames(ref.tenantId, FIRST_SLOT, servingDatabase(removing!).generation).database;
  /** The closed account's release: the database awake for the final backup, or hibernated after it. */
  const deployClosed = (hibernated: boolean, signal: AbortSignal) => deployClosedRelease(deps, removing!, hibernated, signal);

  return [
    {
      name: 'validate',
      timeoutSeconds: t.validate,
      async run({ signal }) {
        const tenant = await tenants.get(ref.tenantId);
        present = tenant !== undefined;
        if (!tenant) return `tenant ${ref.tenantId} is already gone`;
        const veto = removalVeto(config, tenant, jobId, now());
        if (veto) {
          present = false;
          result.keptBecause = veto;
          return `nothing removed: ${veto}`;
        }
        removing = tenant;
        if (tenant.terminating) return `removing tenant ${ref.tenantId} (its namespace is terminating)`;
        await tenants.ensureAccess(ref.tenantId, signal);
        await recordMarker(tenants, ref.tenantId, { type, jobId, state: 'active', at: new Date().toISOString() });
        if (type === 'purge' || !tenant.desired.closed) return `purging tenant ${ref.tenantId}`;
        history = await helm.history(ref.release, ref.namespace, signal);
        const deployed = lastDeployedRevision(history) !== undefined;
        const backups = config.tiers[tenant.desired.tier].backupEnabled;
        const keep = retentionSecondsOf(config, tenant) > 0;
        plan = { close: deployed && (keep || backups), finalBackup: deployed && backups, keep: deployed && keep };
        if (!deployed) return `purging tenant ${ref.tenantId}: its release never deployed, so it holds no data to keep`;
        const then = plan.keep ? `kept closed until ${tenant.desired.closed.purgeAfter}` : 'purged';
        return `closing tenant ${ref.tenantId}${plan.finalBackup ? ' with a final backup' : ''}; ${then}`;
      },
    },
    {
      // An attempt that lost its lease or its worker mid-upgrade leaves the release pending-upgrade,
      // and every later upgrade fails with "another operation is in progress" until it is rolled back.
      name: 'recover-release',
      timeoutSeconds: t.deployChart,
      async run({ signal }) {
        if (!plan.close) return 'nothing to close';
        const recovered = await recoverRelease(helm, ref.release, ref.namespace, signal, async () => history.at(-1));
        return recovered ?? `release ${ref.release} needs no recovery`;
      },
    },
    {
      name: 'close-application',
      timeoutSeconds: t.deployChart + t.waitForDatabase,
      async run({ signal, note }) {
        if (!plan.close) return 'nothing to close';
        const release = await deployClosed(false, signal);
        // Awake for the final backup (a hibernated tenant's database is woken for it), the application stopped.
        const db = await workloads.waitForDatabase(ref.namespace, database(), waiting(t.waitForDatabase, signal, note));
        return `release ${release.name} revision ${release.revision}: API and Web at zero, hosts on the closed page, PostgreSQL ${db.readyInstances}/${db.instances} ready`;
      },
    },
    {
      name: 'final-backup',
      timeoutSeconds: t.backup,
      async run({ signal, note }) {
        if (!plan.finalBackup) return 'no final backup: the tier has none, or nothing to keep';
        const backups = createTenantBackups(deps.kube);
        const name = finalBackupName(ref.tenantId, jobId);
        const input = { namespace: ref.namespace, name, cluster: database(), tenantId: ref.tenantId, requestedBy: 'offboarding' };
        if (!(await backups.create(input, signal))) await note(`Backup ${name} exists (an earlier attempt made it)`, 'debug');
        const backup = await backups.waitFinished(ref.namespace, name, waiting(t.backup, signal, note));
        if (backup.phase === 'failed') {
          throw new PermanentError(
            `final backup ${name} failed: ${backup.error ?? 'no reason given by the operator'}; the account stays closed and nothing is purged (deprovision again to retry, undelete to reopen, or purge with force)`,
          );
        }
        result.finalBackup = { name, backupId: backup.backupId ?? null };
        return `final backup ${name} completed${backup.backupId ? ` (${backup.backupId})` : ''}`;
      },
    },
    {
      name: 'hibernate-database',
      timeoutSeconds: t.deployChart + t.waitForDatabase,
      async run({ signal, note }) {
        if (!plan.keep) return 'not kept: purged next';
        await deployClosed(true, signal);
        await workloads.waitForDatabaseHibernated(ref.namespace, database(), waiting(t.waitForDatabase, signal, note));
        return 'PostgreSQL hibernated; volumes and Secrets kept';
      },
    },
    {
      name: 'uninstall-release',
      timeoutSeconds: t.deployChart,
      async run({ signal }) {
        if (!present) return 'nothing to uninstall';
        if (plan.keep) return 'kept for the retention window';
        if (!(await uninstallForRemoval(deps, ref, jobId, signal))) return 'tenant already gone';
        return `release ${ref.release} uninstalled`;
      },
    },
    {
      name: 'delete-namespace',
      timeoutSeconds: t.deprovision,
      async run({ signal, note }) {
        if (!present) {
          finish(false);
          return 'nothing to delete';
        }
        if (plan.keep) return 'kept for the retention window';
        const outcome = await deleteForRemoval(deps, ref, jobId);
        if (outcome === 'deleting') await note(`namespace ${ref.namespace} deleting`);
        await workloads.waitForNamespaceGone(ref.namespace, waiting(t.deprovision, signal, note));
        if (removing) await releaseDomains(deps, removing);
        finish(true);
        return `namespace ${ref.namespace} removed`;
      },
    },
    {
      name: 'record-closed',
      timeoutSeconds: t.defaultStep,
      async run() {
        if (!plan.keep) return 'not kept';
        finish(false);
        result.closedUntil = removing!.desired.closed!.purgeAfter;
        await recordMarker(tenants, ref.tenantId, { type, jobId, state: 'completed', at: new Date().toISOString() });
        return `closed; kept until ${result.closedUntil}`;
      },
    },
  ];
}
