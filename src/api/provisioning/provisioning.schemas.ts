import { z } from '@hono/zod-openapi';
import { ProvisionRequest } from '../../domain/provision-request.ts';
import { TenantId } from '../../domain/tenant-id.ts';
import { queryFlag } from '../openapi/query-flag.ts';

export const TenantIdParams = z.object({
  tenantId: TenantId.openapi({ param: { name: 'tenantId', in: 'path' }, example: 'acme-auto-3f9a1c' }),
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255, 'must be at most 255 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Retrying with the same key and body returns the first answer; another body is a 422. Kept 24 h.',
      example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
    }),
});

export { JobAccepted } from '../../lifecycle/accepted.ts';

// Response schemas that live with the service returning them (one schema, the type inferred from it).
export { TenantStatus } from '../../services/tenant-status.ts';

export const AdminCredentials = z
  .object({ username: z.string(), password: z.string() })
  .openapi('AdminCredentials', { description: "The tenant administrator's credentials, read from its Secret. Never cached." });
export type AdminCredentials = z.infer<typeof AdminCredentials>;

export { ValidationReport } from '../../services/provision-validation.ts';

export const GenerateIdQuery = z.object({
  companyName: ProvisionRequest.shape.companyName.openapi({ param: { name: 'companyName', in: 'query' }, example: 'Acme Auto Repair' }),
});
export const DeprovisionQuery = z.object({
  force: queryFlag('force', 'false', 'true: purge now (no final backup, no retention window); billing never asks for it'),
});
export const GeneratedId = z.object({ tenantId: TenantId }).openapi('GeneratedTenantId');
export type GeneratedId = z.infer<typeof GeneratedId>;
