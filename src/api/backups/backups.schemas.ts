import { z } from '@hono/zod-openapi';
import { JobAccepted } from '../../lifecycle/accepted.ts';

/** One CloudNativePG `Backup` of the tenant's database, as the operator reports it. */
export const TenantBackup = z
  .object({
    name: z.string().openapi({ example: 'acme-auto-3f9a1c-20261204183000-9f2c' }),
    phase: z
      .string()
      .openapi({ description: "The operator's phase: pending (not picked up yet), started, running, completed or failed", example: 'completed' }),
    requestedBy: z
      .string()
      .openapi({ description: "api (on demand), offboarding (the final backup), schedule (the tier's ScheduledBackup) or unknown", example: 'api' }),
    method: z.string().openapi({ example: 'plugin' }),
    createdAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    stoppedAt: z.string().nullable(),
    backupId: z.string().nullable().openapi({ description: "Barman's id of the base backup, what a restore names", example: '20261204T183001' }),
    wal: z.object({ begin: z.string(), end: z.string() }).nullable().openapi({ description: 'The WAL range the base backup needs to be consistent' }),
    error: z.string().nullable(),
  })
  .openapi('TenantBackup');

export const TenantBackupList = z
  .object({ tenantId: z.string(), backups: z.array(TenantBackup).openapi({ description: 'Newest first' }) })
  .openapi('TenantBackupList');

export const BackupAccepted = JobAccepted.extend({
  backupName: z.string().openapi({ description: 'The Backup object the job creates and follows', example: 'acme-auto-3f9a1c-20261204183000-9f2c' }),
}).openapi('BackupAccepted');
