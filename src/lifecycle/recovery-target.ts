import { databaseName, servingDatabase, type RecoveryTarget } from '../domain/database-generation.ts';
import { ChangeRejectedError } from '../domain/errors.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import type { BackupSummary } from '../kubernetes/tenant-backups.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';

/** What a restore or clone asks for: a base backup, a point in time, or (a clone only) the newest completed backup. */
export type RecoveryRequest = { backupId: string } | { targetTime: string } | Record<string, never>;

/** The newest completed backup of a database (by when it ended), what a clone starts from by default. */
export function newestCompletedBackup(backups: readonly BackupSummary[]): (BackupSummary & { backupId: string; stoppedAt: string }) | undefined {
  const completed = backups.filter(
    (b): b is BackupSummary & { backupId: string; stoppedAt: string } => b.phase === 'completed' && !!b.backupId && !!b.stoppedAt,
  );
  return completed.sort((a, b) => Date.parse(b.stoppedAt) - Date.parse(a.stoppedAt))[0];
}

/**
 * Checks a recovery target against what the source's serving database archived: a backup id must be
 * one of its completed backups, a time must lie between the end of its first completed backup and
 * now; no target takes the newest completed backup. Refusals are 422s at `pathPrefix` + the field.
 */
export async function resolveRecoveryTarget(
  workloads: Pick<TenantWorkloads, 'listBackups'>,
  source: Pick<TenantRecord, 'tenantId' | 'namespace' | 'desired' | 'running'>,
  request: RecoveryRequest,
  now: Date,
  refusedFor: string = source.tenantId,
  pathPrefix: string[] = [],
): Promise<RecoveryTarget> {
  const sourceName = databaseName(source.tenantId, servingDatabase(source).generation);
  const completed = (await workloads.listBackups(source.namespace, sourceName)).filter((b) => b.phase === 'completed' && b.backupId);
  const refuse = (field: string, message: string) => new ChangeRejectedError(refusedFor, [{ path: [...pathPrefix, field].join('.'), message }]);
  if ('backupId' in request) {
    if (!completed.some((b) => b.backupId === request.backupId)) throw refuse('backupId', `is no completed backup of ${sourceName}`);
    return { backupId: request.backupId };
  }
  const ends = completed.flatMap((b) => (b.stoppedAt ? [Date.parse(b.stoppedAt)] : [])).sort((a, b) => a - b);
  if (!('targetTime' in request)) {
    const newest = newestCompletedBackup(completed);
    if (!newest) throw refuse('tenantId', `has nothing to clone from: ${sourceName} has no completed backup yet`);
    return { backupId: newest.backupId };
  }
  const at = Date.parse(request.targetTime);
  if (ends.length === 0) throw refuse('targetTime', `has nothing to recover from: ${sourceName} has no completed backup yet`);
  if (at < ends[0]!) throw refuse('targetTime', `is before the first completed backup of ${sourceName} ended (${new Date(ends[0]!).toISOString()})`);
  if (at > now.getTime()) throw refuse('targetTime', 'is in the future');
  return { targetTime: new Date(at).toISOString() };
}
