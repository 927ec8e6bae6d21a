import { createRoute } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { PROVISION_EXAMPLE, TENANT_STATUS_EXAMPLE, VALIDATION_EXAMPLE } from '../openapi/examples.ts';
import { acceptedResponse, OPERATION_IDS } from '../openapi/links.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { provisionRequestSchema } from '../../services/provision-validation.ts';
import {
  AdminCredentials,
  DeprovisionQuery,
  GeneratedId,
  GenerateIdQuery,
  IdempotencyHeaders,
  TenantIdParams,
  TenantStatus,
  ValidationReport,
} from './provisioning.schemas.ts';

const tags = ['Provisioning'];
const json = <S>(schema: S, description: string, example: unknown) => ({ description, content: { 'application/json': { schema, example } } });

/** The provisioning routes; the body schema carries the platform's custom-domain and reserved-id rules. */
export function provisioningRoutes(platform: Parameters<typeof provisionRequestSchema>[0]) {
  const body = provisionRequestSchema(platform);
  return {
    provision: createRoute({
      method: 'post',
      path: '/provision',
      operationId: OPERATION_IDS.provision,
      tags,
      security: BEARER_SECURITY,
      summary: 'Provision a tenant',
      description:
        'Records the tenant in the cluster (its namespace) and queues the provision job. Answers before any chart is installed. ' +
        'A body that is not JSON is a 400; JSON that does not match the schema (not an object, a missing or invalid field) is a 422 naming each field.',
      request: { headers: IdempotencyHeaders, body: { content: { 'application/json': { schema: body, example: PROVISION_EXAMPLE } }, required: true } },
      responses: {
        202: acceptedResponse,
        ...errorResponses(
          'bad_request',
          'validation_failed',
          'idempotency_mismatch',
          'conflict',
          'payload_too_large',
          'dependency_unavailable',
          ...API_PROBLEMS,
        ),
      },
    }),
    deprovision: createRoute({
      method: 'post',
      path: '/{tenantId}/deprovision',
      operationId: OPERATION_IDS.deprovision,
      tags,
      security: BEARER_SECURITY,
      summary: 'Remove a tenant (close it, keep it for its retention window, then purge it)',
      description:
        'Safe offboarding: closes the account (API and Web stopped, its hosts on the closed page), takes a final backup on a tier with ' +
        'backups and waits for it (a failed final backup stops here, the account closed, and the job says so), then hibernates the ' +
        "database and keeps the namespace for the tier's retention window (`tiers.<tier>.offboarding.retentionSeconds`), during which " +
        'POST /api/tenants/{tenantId}/undelete reopens it; the expiry sweep purges it afterwards. A window of 0 purges in the same job. ' +
        '`force=true` purges now: release and namespace removed without a final backup or a window. Asking again while it runs returns ' +
        'the same job; 409 for an account closed already (undelete it, or purge it with force), and (with Retry-After) when other ' +
        'writes to the tenant keep winning the race to record the removal.',
      request: { params: TenantIdParams, query: DeprovisionQuery },
      responses: { 202: acceptedResponse, ...errorResponses('validation_failed', 'not_found', 'conflict', 'dependency_unavailable', ...API_PROBLEMS) },
    }),
    status: createRoute({
      method: 'get',
      path: '/{tenantId}/status',
      operationId: OPERATION_IDS.status,
      tags,
      security: BEARER_SECURITY,
      summary: "A tenant's live status",
      description: 'Read from the cluster now: the release, the CloudNativePG cluster and both deployments.',
      request: { params: TenantIdParams },
      responses: {
        200: json(TenantStatus, 'The tenant', TENANT_STATUS_EXAMPLE),
        ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
      },
    }),
    credentials: createRoute({
      method: 'get',
      path: '/{tenantId}/credentials',
      operationId: OPERATION_IDS.credentials,
      tags,
      security: BEARER_SECURITY,
      summary: "The tenant administrator's credentials",
      description: 'The only place a password leaves the cluster. Answered with `Cache-Control: no-store`.',
      request: { params: TenantIdParams },
      responses: {
        200: json(AdminCredentials, 'The credentials', { username: 'admin', password: 'Zr9p3xQe7LmVt2Kb' }),
        ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
      },
    }),
    validate: createRoute({
      method: 'post',
      path: '/validate',
      operationId: OPERATION_IDS.validate,
      tags,
      security: BEARER_SECURITY,
      summary: 'Check a provision request without provisioning',
      description:
        'Schema, tier, tenant id and custom domain free, cluster and Helm reachable. Always 200: problems are in `errors`. ' +
        'Any body is accepted on purpose, so that one call reports every problem: a JSON value that is not a ProvisionRequest ' +
        '(an array, a number, a missing field), a body that is not JSON, and no body at all are answered 200 with `valid: false`.',
      // Plain JSON Schema, not the zod schema: a body that fails the schema must reach the handler (200, valid:false), not the 422 hook.
      request: {
        body: {
          content: {
            'application/json': {
              schema: {
                description: 'Any JSON value; a ProvisionRequest is the one that can be valid',
                anyOf: [{ $ref: '#/components/schemas/ProvisionRequest' }, {}],
              },
              example: PROVISION_EXAMPLE,
            },
          },
          required: false,
        },
      },
      responses: { 200: json(ValidationReport, 'The verdict', VALIDATION_EXAMPLE), ...errorResponses('payload_too_large', ...API_PROBLEMS) },
    }),
    generateId: createRoute({
      method: 'get',
      path: '/generate-id',
      operationId: OPERATION_IDS.generateId,
      tags,
      security: BEARER_SECURITY,
      summary: 'Suggest a tenant id for a company name',
      request: { query: GenerateIdQuery },
      responses: {
        200: json(GeneratedId, 'A fresh id: the name as a slug plus 6 random hex characters', { tenantId: 'acme-auto-repair-3f9a1c' }),
        ...errorResponses('validation_failed', ...API_PROBLEMS),
      },
    }),
  };
}
export type ProvisioningRoutes = ReturnType<typeof provisioningRoutes>;
