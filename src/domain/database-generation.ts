import { z } from '@hono/zod-openapi';
import { TenantId } from './tenant-id.ts';

/**
 * A tenant's database is rebuilt, never rewound in place: CloudNativePG bootstraps a Cluster once,
 * so a restore makes a new Cluster (the next generation) from the object store and moves the
 * application to it. Generation 1 is the one a provision made (`<tenant>-postgres`, initdb).
 */
export const BackupId = z
  .string()
  .regex(/^[0-9]{8}T[0-9]{6}$/, "must be a backup's backupId, such as 20261201T020000")
  .openapi({ example: '20261201T020000' });

/** Where a restored database starts: a base backup by its id, or a point in time (the WAL replayed up to it). */
export const RecoveryTarget = z.union([z.strictObject({ backupId: BackupId }), z.strictObject({ targetTime: z.iso.datetime({ offset: true }) })]);
export type RecoveryTarget = z.infer<typeof RecoveryTarget>;

export const DatabaseSpec = z.strictObject({
  generation: z.int().min(1).max(9999),
  /**
   * Absent: made empty by a provision. Present: restored from the backups of `fromGeneration`, of
   * this tenant or, for a clone, of `fromTenant` (read from its prefix, never written).
   */
  recovery: z.strictObject({ fromGeneration: z.int().min(1), target: RecoveryTarget, fromTenant: TenantId.optional() }).optional(),
});
export type DatabaseSpec = z.infer<typeof DatabaseSpec>;

export const FIRST_DATABASE: DatabaseSpec = { generation: 1 };

/** The Cluster's name: the first keeps the name every tenant had before restores existed. */
export function databaseName(tenantId: string, generation: number): string {
  return generation === 1 ? `${tenantId}-postgres` : `${tenantId}-postgres-g${generation}`;
}

type DatabaseHolder = { desired: { database?: DatabaseSpec | undefined }; running?: { database?: DatabaseSpec | undefined } | null | undefined };

/**
 * The database the application uses now: what the last deploy recorded, else (nothing deployed
 * yet) what the desired state names. A record from before restores existed serves generation 1.
 */
export function servingDatabase(tenant: DatabaseHolder): DatabaseSpec {
  if (tenant.running) return tenant.running.database ?? FIRST_DATABASE;
  return tenant.desired.database ?? FIRST_DATABASE;
}

/** The database a restore is building, while the application still uses another; else undefined. */
export function pendingRestore(tenant: DatabaseHolder): { serving: DatabaseSpec; next: DatabaseSpec } | undefined {
  const serving = servingDatabase(tenant);
  const next = tenant.desired.database ?? FIRST_DATABASE;
  return next.generation === serving.generation ? undefined : { serving, next };
}
