import { z } from '@hono/zod-openapi';
import { BackupId, databaseName, pendingRestore, servingDatabase, type RecoveryTarget } from '../domain/database-generation.ts';
import { ChangeRejectedError, TenantConflictError } from '../domain/errors.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { submitOperation, type IntakeDeps, type IntakeOptions, type LifecycleAccepted } from './intake.ts';
import { tenantChartValues } from './tenant-values.ts';
import { isPending } from './transitions.ts';

/** `POST /api/tenants/{tenantId}/restore`: one base backup by its id, or a point in time. */
export const RestoreRequest = z
  .union([
    z.strictObject({ backupId: BackupId }),
    z.strictObject({
      targetTime: z.iso.datetime({ offset: true }).openapi({ example: '2026-12-04T10:15:00Z', description: 'Replay the WAL up to this moment' }),
    }),
  ])
  .openapi('RestoreRequest', {
    description: 'Either backupId (a completed backup of the database the application uses) or targetTime (point-in-time recovery)',
  });
export type RestoreRequest = z.infer<typeof RestoreRequest>;

export type RestoreDeps = IntakeDeps & { workloads: Pick<TenantWorkloads, 'listBackups'> };

/**
 * Records a restore as the tenant's intent: the next database generation, recovered from the
 * serving one's archive, and queues the job that builds it beside the serving one. Refuses with 409
 * a tier without backups, a hibernated tenant (its database has no instance to take over from) and a
 * restore while another is moving the tenant; with 422 a backup id that is no completed backup of
 * the serving database, and a time outside what its backups and WAL cover (before the first
 * completed base backup ended, or in the future).
 */
export async function requestRestore(deps: RestoreDeps, tenantId: string, request: RestoreRequest, options: IntakeOptions = {}): Promise<LifecycleAccepted> {
  return submitOperation(
    deps,
    tenantId,
    'restore',
    async (t) => {
      if (!tenantChartValues(deps.config, t, t.desired).values.backup.enabled) {
        throw new TenantConflictError(tenantId, 'no-backups', `Tier ${t.desired.tier} of tenant ${tenantId} has no backups to restore from`);
      }
      if (t.desired.hibernated) throw new TenantConflictError(tenantId, 'no-backups', `Tenant ${tenantId} is hibernated: resume it before restoring`);
      if (pendingRestore(t) || (isPending(t.operation) && t.operation.type === 'restore'))
        throw new TenantConflictError(tenantId, 'restore-in-progress', `Tenant ${tenantId} is being restored already`);
      const serving = servingDatabase(t);
      const target = await checkedTarget(deps, t, request, deps.now?.() ?? new Date());
      const generation = Math.max(serving.generation, t.desired.database?.generation ?? 1) + 1;
      return { desired: { ...t.desired, database: { generation, recovery: { fromGeneration: serving.generation, target } } } };
    },
    options,
  );
}

async function checkedTarget(deps: RestoreDeps, tenant: TenantRecord, request: RestoreRequest, now: Date): Promise<RecoveryTarget> {
  const source = databaseName(tenant.tenantId, servingDatabase(tenant).generation);
  const completed = (await deps.workloads.listBackups(tenant.namespace, source)).filter((b) => b.phase === 'completed' && b.backupId);
  const refuse = (path: string, message: string) => new ChangeRejectedError(tenant.tenantId, [{ path, message }]);
  if ('backupId' in request) {
    if (!completed.some((b) => b.backupId === request.backupId)) throw refuse('backupId', `is no completed backup of ${source}`);
    return { backupId: request.backupId };
  }
  const at = Date.parse(request.targetTime);
  const ends = completed.flatMap((b) => (b.stoppedAt ? [Date.parse(b.stoppedAt)] : [])).sort((a, b) => a - b);
  if (ends.length === 0) throw refuse('targetTime', `has nothing to recover from: ${source} has no completed backup yet`);
  if (at < ends[0]!) throw refuse('targetTime', `is before the first completed backup of ${source} ended (${new Date(ends[0]!).toISOString()})`);
  if (at > now.getTime()) throw refuse('targetTime', 'is in the future');
  return { targetTime: new Date(at).toISOString() };
}
