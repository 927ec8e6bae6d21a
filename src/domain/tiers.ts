// The OpenAPI-extended z: provision-request.ts calls `TierName.openapi(...)`, and zod 4 gives an
// instance `.openapi` only if the extension ran before the instance was made, whatever imported first.
import { z } from '@hono/zod-openapi';

/** The one tier vocabulary: API requests, configuration, chart values and billing all use it. */
export const TIER_NAMES = ['demo', 'free', 'professional', 'enterprise'] as const;
export const TierName = z.enum(TIER_NAMES);
export type TierName = z.infer<typeof TierName>;

/** A Kubernetes resource quantity such as `512Mi`, `1Gi`, `250m` or `2`. */
export const Quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/, 'must be a Kubernetes quantity such as 512Mi or 250m');
export type Quantity = z.infer<typeof Quantity>;

const ComputeResources = z.strictObject({
  cpuRequest: Quantity,
  cpuLimit: Quantity,
  memoryRequest: Quantity,
  memoryLimit: Quantity,
});
export type ComputeResources = z.infer<typeof ComputeResources>;

/** What a subscription tier gives a tenant: the seed's table, held once in config/default.yaml. */
export const TierLimits = z.strictObject({
  postgresInstances: z.int().min(1).max(9),
  postgresStorageSize: Quantity,
  postgres: ComputeResources,
  apiReplicas: z.int().min(1).max(20),
  api: ComputeResources,
  webReplicas: z.int().min(1).max(20),
  web: ComputeResources,
  /** null means unlimited. */
  mechanicLimit: z.int().min(1).nullable(),
  backupEnabled: z.boolean(),
  /** Set once at provision for trial tiers; null means the tenant does not expire. */
  expiresAfterDays: z.int().min(1).nullable(),
});
export type TierLimits = z.infer<typeof TierLimits>;

export const TiersConfig = z.strictObject({
  demo: TierLimits,
  free: TierLimits,
  professional: TierLimits,
  enterprise: TierLimits,
});
export type TiersConfig = z.infer<typeof TiersConfig>;
