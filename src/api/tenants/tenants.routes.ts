import { createRoute } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { TenantList, TenantListQuery } from './tenants.schemas.ts';

export const listTenantsRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['Tenants'],
  security: BEARER_SECURITY,
  summary: 'List tenants',
  description: 'One page of tenants, filtered by tier (by the API server) and phase. Phase comes from each tenant\'s records, without reading its workloads.',
  request: { query: TenantListQuery },
  responses: {
    200: { description: 'A page of tenants', content: { 'application/json': { schema: TenantList } } },
    ...errorResponses('validation_failed', 'bad_request', 'dependency_unavailable', ...API_PROBLEMS),
  },
});
