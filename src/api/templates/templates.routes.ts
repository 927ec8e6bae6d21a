import { createRoute, z } from '@hono/zod-openapi';
import { BackupId } from '../../domain/database-generation.ts';
import { TenantId } from '../../domain/tenant-id.ts';
import { TemplateMark, TemplateRequest } from '../../domain/tenant-template.ts';
import { TierName } from '../../domain/tiers.ts';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { OPERATION_IDS } from '../openapi/links.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { TenantIdParams } from '../provisioning/provisioning.schemas.ts';

const tags = ['Templates'];
const MARK_EXAMPLE = {
  description: 'Demo shop with sample customers, vehicles and invoices',
  markedBy: 'ops@example.com',
  markedAt: '2026-12-05T09:00:00.000Z',
};

export const TemplateList = z
  .object({
    templates: z.array(
      z.object({
        tenantId: TenantId,
        tier: TierName,
        template: TemplateMark,
        newestBackup: z
          .object({ backupId: BackupId, stoppedAt: z.string() })
          .nullable()
          .openapi({ description: 'What a clone without backupId or targetTime starts from; null: nothing to clone yet' }),
      }),
    ),
  })
  .openapi('TemplateList');
export type TemplateList = z.infer<typeof TemplateList>;

/** `PUT /api/tenants/{tenantId}/template`, mounted under /api/tenants. */
export const markTemplateRoute = createRoute({
  method: 'put',
  path: '/{tenantId}/template',
  operationId: OPERATION_IDS.markTemplate,
  tags,
  security: BEARER_SECURITY,
  summary: 'Mark a tenant as a template',
  description:
    'New tenants can then start from its database: POST /api/provisioning/provision with cloneFrom {tenantId}. Recorded on the tenant with who ' +
    'marked it and when; marking again with the same description keeps the first record. No job. 409 for a tier without backups (clones ' +
    'start from backups) or a tenant being removed.',
  request: {
    params: TenantIdParams,
    body: { required: true, content: { 'application/json': { schema: TemplateRequest, example: { description: MARK_EXAMPLE.description } } } },
  },
  responses: {
    200: { description: "The tenant's template mark", content: { 'application/json': { schema: TemplateMark, example: MARK_EXAMPLE } } },
    ...errorResponses('bad_request', 'validation_failed', 'not_found', 'conflict', 'payload_too_large', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

/** `DELETE /api/tenants/{tenantId}/template`, mounted under /api/tenants. */
export const unmarkTemplateRoute = createRoute({
  method: 'delete',
  path: '/{tenantId}/template',
  operationId: OPERATION_IDS.unmarkTemplate,
  tags,
  security: BEARER_SECURITY,
  summary: "Remove a tenant's template mark",
  description: 'Clones already made keep their data. Idempotent: a tenant that is no template answers 204 too. 409 while the tenant is being removed.',
  request: { params: TenantIdParams },
  responses: {
    204: { description: 'The tenant is no template' },
    ...errorResponses('validation_failed', 'not_found', 'conflict', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

/** `GET /api/templates`. */
export const listTemplatesRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: OPERATION_IDS.listTemplates,
  tags,
  security: BEARER_SECURITY,
  summary: 'List templates',
  description: 'The tenants marked as templates, each with the newest completed backup of the database it serves (what a clone starts from by default).',
  responses: {
    200: {
      description: 'The templates',
      content: {
        'application/json': {
          schema: TemplateList,
          example: {
            templates: [
              {
                tenantId: 'demo-shop-a1b2c3',
                tier: 'professional',
                template: MARK_EXAMPLE,
                newestBackup: { backupId: '20261205T020001', stoppedAt: '2026-12-05T02:01:12Z' },
              },
            ],
          },
        },
      },
    },
    ...errorResponses('dependency_unavailable', ...API_PROBLEMS),
  },
});
