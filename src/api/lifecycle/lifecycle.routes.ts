import { createRoute } from '@hono/zod-openapi';
import { customDomainRule } from '../../domain/custom-domain.ts';
import { UpdateRequest } from '../../domain/provision-request.ts';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { JobAccepted, TenantIdParams } from '../provisioning/provisioning.schemas.ts';

const tags = ['Lifecycle'];
const accepted = {
  description: 'Accepted: the job is queued; follow `links.events` or poll `links.job`',
  headers: { Location: { description: 'The job', schema: { type: 'string' as const } } },
  content: { 'application/json': { schema: JobAccepted } },
};
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
      tags,
      security: BEARER_SECURITY,
      summary: 'Change a tenant\'s tier, custom domain or resources',
      description: 'A preflight renders the new release first and refuses with 422 what cannot be done (shrinking a volume, values the chart rejects). '
        + 'Demo to a paid tier happens in place and clears the expiry. A failed upgrade rolls back; nothing is uninstalled.',
      request: {
        params: TenantIdParams,
        body: { content: { 'application/json': { schema: UpdateRequest.superRefine(customDomainRule(baseDomain)) } }, required: true },
      },
      responses: { 202: accepted, ...problems },
    }),
    hibernate: createRoute({
      method: 'post',
      path: '/{tenantId}/hibernate',
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
      tags,
      security: BEARER_SECURITY,
      summary: 'Resume a hibernated tenant',
      description: 'Wakes the database and restores the tier\'s replica counts.',
      request: { params: TenantIdParams },
      responses: { 202: accepted, ...problems },
    }),
  };
}
export type LifecycleRoutes = ReturnType<typeof lifecycleRoutes>;
