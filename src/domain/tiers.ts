// The OpenAPI-extended z: provision-request.ts calls `TierName.openapi(...)`, and zod 4 gives an
// instance `.openapi` only if the extension ran before the instance was made, whatever imported first.
import { z } from '@hono/zod-openapi';
import { RetentionPolicy } from './backup-store.ts';
import { PostgresParameters } from './postgres-parameters.ts';
import { Quantity, StorageSize } from './quantity.ts';

/** The one tier vocabulary: API requests, configuration, chart values and billing all use it. */
export const TIER_NAMES = ['demo', 'free', 'professional', 'enterprise'] as const;
export const TierName = z.enum(TIER_NAMES);
export type TierName = z.infer<typeof TierName>;

export const ComputeResources = z.strictObject({
  cpuRequest: Quantity,
  cpuLimit: Quantity,
  memoryRequest: Quantity,
  memoryLimit: Quantity,
});
export type ComputeResources = z.infer<typeof ComputeResources>;

/** Database instances (CloudNativePG) of one tenant: a primary plus up to eight replicas. */
export const PostgresInstances = z.int().min(1).max(9);
/**
 * Pods of one Deployment. At least one: a tenant at zero is hibernated, which is its own state
 * (`hibernated`), never a replica count.
 */
export const ReplicaCount = z.int().min(1).max(20);
/** Mechanics a tenant may register; null means unlimited. */
export const MechanicLimit = z.int().min(1).max(100_000).nullable();

/** What a subscription tier gives a tenant: the seed's table, held once in config/default.yaml. */
export const TierLimits = z.strictObject({
  postgresInstances: PostgresInstances,
  postgresStorageSize: StorageSize,
  postgres: ComputeResources,
  apiReplicas: ReplicaCount,
  api: ComputeResources,
  webReplicas: ReplicaCount,
  web: ComputeResources,
  mechanicLimit: MechanicLimit,
  backupEnabled: z.boolean(),
  /** How long this tier's backups are kept (30d, 4w, 6m); absent: platform.backup.retentionPolicy. */
  backupRetention: RetentionPolicy.optional(),
  /** PostgreSQL settings of every tenant on the tier (postgres-parameters.ts: allowlist and bounds); a tenant's own win. */
  postgresql: z.strictObject({ parameters: PostgresParameters }).optional(),
  /** Set once at provision for trial tiers; null means the tenant does not expire. */
  expiresAfterDays: z.int().min(1).nullable(),
  /**
   * Safe offboarding (src/lifecycle/offboarding.ts): how long a deprovisioned tenant is kept closed,
   * its data undeletable, before it is purged. 0: purged by the deprovision itself, after the final
   * backup on a tier with backups.
   */
  offboarding: z.strictObject({ retentionSeconds: z.int().min(0).max(31_622_400) }).default({ retentionSeconds: 0 }),
});
export type TierLimits = z.infer<typeof TierLimits>;

export const TiersConfig = z.strictObject({
  demo: TierLimits,
  free: TierLimits,
  professional: TierLimits,
  enterprise: TierLimits,
});
export type TiersConfig = z.infer<typeof TiersConfig>;
