import { z } from '@hono/zod-openapi';
import { BackupId, pendingRestore, servingDatabase } from '../domain/database-generation.ts';
import { TenantConflictError } from '../domain/errors.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { submitOperation, type IntakeDeps, type IntakeOptions, type LifecycleAccepted } from './intake.ts';
import { tenantChartValues } from './tenant-values.ts';
import { isPending } from './transitions.ts';
import { resolveRecoveryTarget } from './recovery-target.ts';

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
      const target = await resolveRecoveryTarget(deps.workloads, t, request, deps.now?.() ?? new Date());
      const generation = Math.max(serving.generation, t.desired.database?.generation ?? 1) + 1;
      return { desired: { ...t.desired, database: { generation, recovery: { fromGeneration: serving.generation, target } } } };
    },
    options,
  );
}
