import { createRoute } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { ACCEPTED_EXAMPLE, ACCEPTED_LINKS, acceptedResponse, OPERATION_IDS } from '../openapi/links.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { TenantIdParams } from '../provisioning/provisioning.schemas.ts';
import { EXPORT_EXAMPLES, ExportAccepted, ExportIdParams, TenantExport, TenantExportList } from './exports.schemas.ts';

const tags = ['Backups'];
const EXPORT_JOB = `export-${EXPORT_EXAMPLES.accepted.exportId}`;

/** `POST /api/tenants/{tenantId}/exports`, mounted under /api/tenants. */
export const createExportRoute = createRoute({
  method: 'post',
  path: '/{tenantId}/exports',
  operationId: OPERATION_IDS.createExport,
  tags,
  security: BEARER_SECURITY,
  summary: "Export the tenant's database",
  description:
    "Queues a job that runs pg_dump (custom format, in the tenant's own PostgreSQL image) as a Job in the tenant's namespace and uploads the " +
    "dump under the tenant's prefix of the backup store with the tenant's own keys; GET /api/tenants/{tenantId}/exports/{exportId} then " +
    "hands out a short-lived download URL. A closed account's database is woken for the dump and put back to sleep (its application stays " +
    'at zero). 409 for a tenant being removed, a tier without a backup store, a store other than S3, or a hibernated tenant (resume it first).',
  request: { params: TenantIdParams },
  responses: {
    202: {
      ...acceptedResponse,
      content: {
        'application/json': {
          schema: ExportAccepted,
          example: {
            ...ACCEPTED_EXAMPLE,
            jobId: EXPORT_JOB,
            links: { ...ACCEPTED_EXAMPLE.links, job: `/api/jobs/${EXPORT_JOB}`, events: `/api/jobs/${EXPORT_JOB}/events` },
            ...EXPORT_EXAMPLES.accepted,
          },
        },
      },
      links: {
        ...ACCEPTED_LINKS,
        GetTenantExport: {
          operationId: OPERATION_IDS.getExport,
          parameters: { tenantId: '$response.body#/tenantId', exportId: '$response.body#/exportId' },
          description: 'The export, and its download URL once completed',
        },
      },
    },
    ...errorResponses('validation_failed', 'not_found', 'conflict', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

/** `GET /api/tenants/{tenantId}/exports`. */
export const listExportsRoute = createRoute({
  method: 'get',
  path: '/{tenantId}/exports',
  operationId: OPERATION_IDS.listExports,
  tags,
  security: BEARER_SECURITY,
  summary: "List a tenant's exports",
  description:
    "The dumps in the tenant's prefix of the backup store, read with the tenant's keys, newest first. An export still running is not listed " +
    'yet (follow its job). An empty list for a tenant whose tier has no backup store.',
  request: { params: TenantIdParams },
  responses: {
    200: { description: "The tenant's exports", content: { 'application/json': { schema: TenantExportList, example: EXPORT_EXAMPLES.list } } },
    ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

/** `GET /api/tenants/{tenantId}/exports/{exportId}`. */
export const getExportRoute = createRoute({
  method: 'get',
  path: '/{tenantId}/exports/{exportId}',
  operationId: OPERATION_IDS.getExport,
  tags,
  security: BEARER_SECURITY,
  summary: 'An export, with a download URL once completed',
  description:
    'running while its Job dumps and uploads; failed with the reason; completed once the dump is in the store, with a presigned GET URL ' +
    'minted for this answer and good for platform.backup.exports.urlExpirySeconds (each read mints a new one). The URL carries the access ' +
    'key id and a signature, never the secret key. 404 for an export that neither runs nor is in the store.',
  request: { params: ExportIdParams },
  responses: {
    200: { description: 'The export', content: { 'application/json': { schema: TenantExport, example: EXPORT_EXAMPLES.one } } },
    ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
  },
});
