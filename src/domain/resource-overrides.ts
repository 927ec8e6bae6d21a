import { z } from '@hono/zod-openapi';
import { KubernetesName } from './dns-names.ts';
import { StorageSize } from './quantity.ts';
import { MechanicLimit, PostgresInstances, ReplicaCount } from './tiers.ts';

/**
 * Per-tenant deviations from the tier; they apply to this tenant only and never change the tier.
 * The one schema: the API validates requests with it and the values builder parses with it, so the
 * API refuses exactly what the worker would (it once answered 202 to `apiReplicas: 0`, which the
 * builder then refused). Each bound is the tier's own.
 */
export const ResourceOverrides = z
  .strictObject({
    postgresInstances: PostgresInstances.optional().openapi({ example: 3 }),
    postgresStorageSize: StorageSize.optional().openapi({ example: '20Gi' }),
    apiReplicas: ReplicaCount.optional().openapi({ example: 2 }),
    webReplicas: ReplicaCount.optional().openapi({ example: 2 }),
    mechanicLimit: MechanicLimit.optional().openapi({ description: 'null means unlimited', example: 10 }),
    storageClass: KubernetesName.optional().openapi({ example: 'fast-ssd' }),
  })
  .openapi('ResourceOverrides');
export type ResourceOverrides = z.infer<typeof ResourceOverrides>;
