import { createRoute } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { TENANT_LIST_EXAMPLE } from '../openapi/examples.ts';
import { OPERATION_IDS } from '../openapi/links.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { TenantList, TenantListQuery } from './tenants.schemas.ts';

export const listTenantsRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: OPERATION_IDS.listTenants,
  tags: ['Tenants'],
  security: BEARER_SECURITY,
  summary: 'List tenants',
  description:
    "One page of tenants, filtered by tier and labels (by the API server) and phase. Phase comes from each tenant's records, without reading its workloads. " +
    'A cursor is opaque: one this API did not hand out, or one the API server has forgotten (after a few minutes), is a 400; list again from the first page.',
  request: { query: TenantListQuery },
  responses: {
    200: { description: 'A page of tenants', content: { 'application/json': { schema: TenantList, example: TENANT_LIST_EXAMPLE } } },
    ...errorResponses('validation_failed', 'bad_request', 'dependency_unavailable', ...API_PROBLEMS),
  },
});
