import { z } from '@hono/zod-openapi';
import { FieldErrorSchema } from '../errors/problem.schema.ts';
import { ProvisionRequest } from '../../domain/provision-request.ts';
import { TenantId } from '../../domain/tenant-id.ts';
import { OperationMarker } from '../../domain/tenant-record.ts';
import { TierName } from '../../domain/tiers.ts';
import { TENANT_PHASES } from '../../services/tenant-phase.ts';

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

export const JobAccepted = z
  .object({
    jobId: z.string().openapi({ example: '0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d' }),
    tenantId: z.string().openapi({ example: 'acme-auto-3f9a1c' }),
    namespace: z.string().openapi({ example: 'tenant-acme-auto-3f9a1c' }),
    state: z.enum(['queued', 'active']).openapi({ description: 'A new job is always queued' }),
    links: z.object({
      job: z.string().openapi({ example: '/api/jobs/0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d' }),
      events: z.string().openapi({ example: '/api/jobs/0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d/events' }),
      status: z.string().openapi({ example: '/api/provisioning/acme-auto-3f9a1c/status' }),
    }),
  })
  .openapi('JobAccepted');
export type JobAccepted = z.infer<typeof JobAccepted>;

const Component = z.object({ ready: z.boolean(), replicas: z.int(), readyReplicas: z.int() });

export const TenantStatus = z
  .object({
    tenantId: z.string(),
    namespace: z.string(),
    tier: TierName,
    phase: z.enum(TENANT_PHASES),
    ready: z.boolean().openapi({ description: 'phase is ready: release deployed, database and both deployments ready' }),
    release: z.object({ status: z.string(), revision: z.int() }).nullable(),
    database: z.object({ ready: z.boolean(), instances: z.int(), readyInstances: z.int(), phase: z.string() }),
    api: Component,
    web: Component,
    urls: z.object({ tenant: z.string(), api: z.string(), custom: z.string().nullable() }),
    customDomain: z.string().nullable(),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    stripeCustomerId: z.string().nullable(),
    stripeSubscriptionId: z.string().nullable(),
    operation: OperationMarker.nullable(),
  })
  .openapi('TenantStatus');
export type TenantStatus = z.infer<typeof TenantStatus>;

export const AdminCredentials = z
  .object({ username: z.string(), password: z.string() })
  .openapi('AdminCredentials', { description: 'The tenant administrator\'s credentials, read from its Secret. Never cached.' });
export type AdminCredentials = z.infer<typeof AdminCredentials>;

export const ValidationReport = z
  .object({
    valid: z.boolean(),
    errors: z.array(FieldErrorSchema),
    warnings: z.array(z.string()),
  })
  .openapi('ValidationReport');
export type ValidationReport = z.infer<typeof ValidationReport>;

export const GenerateIdQuery = z.object({
  companyName: ProvisionRequest.shape.companyName.openapi({ param: { name: 'companyName', in: 'query' }, example: 'Acme Auto Repair' }),
});
export const GeneratedId = z.object({ tenantId: TenantId }).openapi('GeneratedTenantId');
export type GeneratedId = z.infer<typeof GeneratedId>;
