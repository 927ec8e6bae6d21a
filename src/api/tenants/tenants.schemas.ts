import { z } from '@hono/zod-openapi';
import { TierName } from '../../domain/tiers.ts';
import { TENANT_PHASES } from '../../services/tenant-phase.ts';

export const TenantListQuery = z.object({
  tier: TierName.optional().openapi({ param: { name: 'tier', in: 'query' } }),
  phase: z.enum(TENANT_PHASES).optional().openapi({ param: { name: 'phase', in: 'query' } }),
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  cursor: z.string().min(1).max(4096).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'nextCursor of the previous page' }),
});
export type TenantListQuery = z.infer<typeof TenantListQuery>;

export const TenantSummary = z
  .object({
    tenantId: z.string(),
    namespace: z.string(),
    tier: TierName,
    phase: z.enum(TENANT_PHASES).openapi({ description: 'From the last operation and desired state; see the status route for live readiness' }),
    companyName: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
  })
  .openapi('TenantSummary');

export const TenantList = z
  .object({
    items: z.array(TenantSummary),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .openapi('TenantList');
export type TenantList = z.infer<typeof TenantList>;
