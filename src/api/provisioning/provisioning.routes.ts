import { createRoute } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { provisionRequestSchema } from '../../services/provision-validation.ts';
import {
  AdminCredentials,
  GeneratedId,
  GenerateIdQuery,
  IdempotencyHeaders,
  JobAccepted,
  TenantIdParams,
  TenantStatus,
  ValidationReport,
} from './provisioning.schemas.ts';

const tags = ['Provisioning'];
const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const accepted = {
  description: 'Accepted: the job is queued; follow `links.events` or poll `links.job`',
  headers: { Location: { description: 'The job', schema: { type: 'string' as const } } },
  content: { 'application/json': { schema: JobAccepted } },
};

/** The provisioning routes; the body schema carries the platform's custom-domain and reserved-id rules. */
export function provisioningRoutes(platform: Parameters<typeof provisionRequestSchema>[0]) {
  const body = provisionRequestSchema(platform);
  return {
    provision: createRoute({
      method: 'post',
      path: '/provision',
      tags,
      security: BEARER_SECURITY,
      summary: 'Provision a tenant',
      description: 'Records the tenant in the cluster (its namespace) and queues the provision job. Answers before any chart is installed.',
      request: { headers: IdempotencyHeaders, body: { content: { 'application/json': { schema: body } }, required: true } },
      responses: {
        202: accepted,
        ...errorResponses('validation_failed', 'idempotency_mismatch', 'conflict', 'payload_too_large', 'dependency_unavailable', ...API_PROBLEMS),
      },
    }),
    deprovision: createRoute({
      method: 'post',
      path: '/{tenantId}/deprovision',
      tags,
      security: BEARER_SECURITY,
      summary: 'Remove a tenant',
      description: 'Queues the removal of the release and the namespace. Asking again while it runs returns the same job.',
      request: { params: TenantIdParams },
      responses: { 202: accepted, ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS) },
    }),
    status: createRoute({
      method: 'get',
      path: '/{tenantId}/status',
      tags,
      security: BEARER_SECURITY,
      summary: 'A tenant\'s live status',
      description: 'Read from the cluster now: the release, the CloudNativePG cluster and both deployments.',
      request: { params: TenantIdParams },
      responses: { 200: json(TenantStatus, 'The tenant'), ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS) },
    }),
    credentials: createRoute({
      method: 'get',
      path: '/{tenantId}/credentials',
      tags,
      security: BEARER_SECURITY,
      summary: 'The tenant administrator\'s credentials',
      description: 'The only place a password leaves the cluster. Answered with `Cache-Control: no-store`.',
      request: { params: TenantIdParams },
      responses: {
        200: json(AdminCredentials, 'The credentials'),
        ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
      },
    }),
    validate: createRoute({
      method: 'post',
      path: '/validate',
      tags,
      security: BEARER_SECURITY,
      summary: 'Check a provision request without provisioning',
      description:
        'Schema, tier, tenant id and custom domain free, cluster and Helm reachable. Always 200: problems are in `errors`, also when the body does not match the schema.',
      // A plain reference, not the zod schema: a body that fails the schema must reach the handler (200, valid:false), not the 422 hook.
      request: { body: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ProvisionRequest' } } }, required: true } },
      responses: { 200: json(ValidationReport, 'The verdict'), ...errorResponses('payload_too_large', ...API_PROBLEMS) },
    }),
    generateId: createRoute({
      method: 'get',
      path: '/generate-id',
      tags,
      security: BEARER_SECURITY,
      summary: 'Suggest a tenant id for a company name',
      request: { query: GenerateIdQuery },
      responses: { 200: json(GeneratedId, 'A fresh id: the name as a slug plus 6 random hex characters'), ...errorResponses('validation_failed', ...API_PROBLEMS) },
    }),
  };
}
export type ProvisioningRoutes = ReturnType<typeof provisioningRoutes>;
