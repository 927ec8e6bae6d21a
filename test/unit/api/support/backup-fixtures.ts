import type { BackupSummary } from '../../../../src/kubernetes/tenant-backups.ts';

/** A completed backup as the API lists it (the fake cluster's listBackups answers these). */
export const completedBackup = (backupId: string, stoppedAt: string): BackupSummary => ({
  name: `b-${backupId.toLowerCase()}`,
  phase: 'completed',
  requestedBy: 'schedule',
  method: 'plugin',
  createdAt: stoppedAt,
  startedAt: stoppedAt,
  stoppedAt,
  backupId,
  wal: null,
  error: null,
});
