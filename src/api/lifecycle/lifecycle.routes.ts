import { createRoute } from '@hono/zod-openapi';
import { updateRequestSchema } from '../../domain/provision-request.ts';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { UPDATE_EXAMPLE } from '../openapi/examples.ts';
import { acceptedResponse as accepted, OPERATION_IDS } from '../openapi/links.ts';
import { TenantIdParams } from '../provisioning/provisioning.schemas.ts';

const tags = ['Lifecycle'];
const problems = errorResponses('validation_failed', 'not_found', 'conflict', 'payload_too_large', 'dependency_unavailable', ...API_PROBLEMS);

/**
 * Changing a tenant after it exists: each answers 202 with a job, like provision. The update body
 * carries the configured base domain's custom-domain rule, as the provision body does, so a
 * platform host is refused by validation (422) before any cluster read.
 */
export function lifecycleRoutes(baseDomain: string) {
  return {
    update: createRoute({
      method: 'put',
      path: '/{tenantId}',
      operationId: OPERATION_IDS.update,
      tags,
      security: BEARER_SECURITY,
      summary: "Change a tenant's tier, custom domain or resources",
      description:
        "A preflight renders the new release first and refuses with 422 what the tenant's current state rules out " +
        '(a paid tenant into the trial tier, shrinking a volume, values the chart rejects). ' +
        'Demo to a paid tier happens in place and clears the expiry. A failed upgrade rolls back; nothing is uninstalled.',
      request: {
        params: TenantIdParams,
        body: { content: { 'application/json': { schema: updateRequestSchema(baseDomain), example: UPDATE_EXAMPLE } }, required: true },
      },
      // 400: a body that is not JSON.
      responses: { 202: accepted, ...problems, ...errorResponses('bad_request') },
    }),
    hibernate: createRoute({
      method: 'post',
      path: '/{tenantId}/hibernate',
      operationId: OPERATION_IDS.hibernate,
      tags,
      security: BEARER_SECURITY,
      summary: 'Hibernate a tenant',
      description: 'Scales API and Web to zero and hibernates the database; every volume is kept.',
      request: { params: TenantIdParams },
      responses: { 202: accepted, ...problems },
    }),
    resume: createRoute({
      method: 'post',
      path: '/{tenantId}/resume',
      operationId: OPERATION_IDS.resume,
      tags,
      security: BEARER_SECURITY,
      summary: 'Resume a hibernated tenant',
      description: "Wakes the database and restores the tier's replica counts.",
      request: { params: TenantIdParams },
      responses: { 202: accepted, ...problems },
    }),
  };
}
export type LifecycleRoutes = ReturnType<typeof lifecycleRoutes>;
