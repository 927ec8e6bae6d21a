import { z } from '@hono/zod-openapi';
import { DesiredState } from '../domain/tenant-record.ts';
import { TenantId } from '../domain/tenant-id.ts';

/** The one queue every tenant operation goes through. */
export const OPERATIONS_QUEUE = 'tenant-operations';

const TenantRef = {
  tenantId: TenantId,
  namespace: z.string().min(1).max(63),
  release: z.string().min(1).max(53),
  requestedAt: z.iso.datetime(),
};

/** Provision: the desired state plus the tenant facts the result reports. No secret is ever in a payload. */
export const ProvisionJob = z.strictObject({
  ...TenantRef,
  desired: DesiredState,
  companyName: z.string(),
  ownerEmail: z.string(),
  ownerName: z.string(),
  stripeCustomerId: z.string().nullable(),
  stripeSubscriptionId: z.string().nullable(),
  expiresAt: z.iso.datetime().nullable(),
});
export type ProvisionJob = z.infer<typeof ProvisionJob>;

export const DeprovisionJob = z.strictObject({ ...TenantRef });
export type DeprovisionJob = z.infer<typeof DeprovisionJob>;

/**
 * Update, hibernate and resume carry the tenant reference only: the worker converges to the desired
 * state it reads from the namespace when the job starts, so updates queued behind a running one
 * coalesce to the latest request instead of replaying stale ones.
 */
export const ConvergeJob = z.strictObject({ ...TenantRef });
export type ConvergeJob = z.infer<typeof ConvergeJob>;

/**
 * An on-demand backup of the tenant's database: the CloudNativePG `Backup` object it creates is
 * named in the payload, so a retried job finds the one it made instead of starting a second.
 */
export const BackupJob = z.strictObject({
  ...TenantRef,
  backupName: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .max(63),
  /** A label value on the Backup: `api` (POST /api/tenants/{id}/backups) or `offboarding` (the final one). */
  requestedBy: z.enum(['api', 'offboarding']),
});
export type BackupJob = z.infer<typeof BackupJob>;

/** A `pg_dump` of the tenant's database into the backup store: the export's id names its Job and its file. */
export const ExportJob = z.strictObject({
  ...TenantRef,
  exportId: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .max(63),
});
export type ExportJob = z.infer<typeof ExportJob>;

/**
 * Each job name with its payload schema. The worker re-validates a payload against this when it
 * takes the job and fails it without retry when it does not parse.
 */
export const JOB_CATALOG = {
  provision: ProvisionJob,
  /** Closes the account (src/lifecycle/offboarding.ts); with a retention window of 0 it purges it too. */
  deprovision: DeprovisionJob,
  /** Removes the tenant now: a closed account past its window, or `force`. */
  purge: DeprovisionJob,
  /** A closed account back as it was: a converge to the reopened desired state. */
  undelete: ConvergeJob,
  update: ConvergeJob,
  hibernate: ConvergeJob,
  resume: ConvergeJob,
  /** Back to the slot kept by a blue-green switch window: the Services' selectors only, no Helm. */
  rollback: ConvergeJob,
  /** A new database from the serving one's backups, the application moved to it once it is ready (restore.plan.ts). */
  restore: ConvergeJob,
  backup: BackupJob,
  /** Takes the tenant's lease (a closed account's database is woken for it) but records no intent. */
  export: ExportJob,
} as const;
export type JobName = keyof typeof JOB_CATALOG;
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_CATALOG)[N]>;
export const isJobName = (name: string): name is JobName => name in JOB_CATALOG;

/**
 * Jobs that run beside the tenant's operation instead of taking its lease: they change neither the
 * release nor the tenant's record, so an update or a hibernation need not wait behind a backup
 * that may take as long as the database is large. They never run Helm.
 */
const BESIDE_THE_TENANT: ReadonlySet<JobName> = new Set(['backup']);
export const runsBesideTheTenant = (name: JobName) => BESIDE_THE_TENANT.has(name);
