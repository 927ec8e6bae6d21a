import { z } from '@hono/zod-openapi';
import { JobAccepted } from '../../lifecycle/accepted.ts';
import { TenantIdParams } from '../provisioning/provisioning.schemas.ts';

const EXPORT_ID = 'acme-auto-3f9a1c-20261205221500-7b1e';

export const ExportIdParams = TenantIdParams.extend({
  exportId: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .max(63)
    .openapi({ param: { name: 'exportId', in: 'path' }, description: 'The export id the 202 returned', example: EXPORT_ID }),
});

export const ExportAccepted = JobAccepted.extend({
  exportId: z.string().openapi({ description: "The export's id: its Job's name and its file's", example: EXPORT_ID }),
}).openapi('ExportAccepted');

/** One export: its Job's progress, then its dump in the store with a fresh download URL. */
export const TenantExport = z
  .object({
    exportId: z.string().openapi({ example: EXPORT_ID }),
    state: z.enum(['running', 'completed', 'failed']).openapi({ description: 'running: the Job dumps or uploads; completed: the dump is in the store' }),
    sizeBytes: z.int().nullable().openapi({ example: 18_734_112 }),
    completedAt: z.string().nullable().openapi({ description: 'When the dump reached the store', example: '2026-12-05T22:15:41.000Z' }),
    error: z.string().nullable().openapi({ description: "A failed export's reason (its Job's Failed condition)" }),
    download: z
      .object({
        url: z.string().openapi({ description: 'A presigned GET of the dump, minted for this answer; anyone holding it can download until it expires' }),
        expiresAt: z.string().openapi({ example: '2026-12-05T22:31:02.000Z' }),
      })
      .nullable()
      .openapi({ description: 'Only once completed' }),
  })
  .openapi('TenantExport');

export const TenantExportList = z
  .object({
    tenantId: z.string(),
    exports: z
      .array(z.object({ exportId: z.string(), sizeBytes: z.int().nullable(), completedAt: z.string().nullable() }))
      .openapi({ description: "The dumps in the tenant's prefix of the store, newest first" }),
  })
  .openapi('TenantExportList');

export const EXPORT_EXAMPLES = {
  accepted: { exportId: EXPORT_ID },
  list: { tenantId: 'acme-auto-3f9a1c', exports: [{ exportId: EXPORT_ID, sizeBytes: 18_734_112, completedAt: '2026-12-05T22:15:41.000Z' }] },
  one: {
    exportId: EXPORT_ID,
    state: 'completed' as const,
    sizeBytes: 18_734_112,
    completedAt: '2026-12-05T22:15:41.000Z',
    error: null,
    download: {
      url: `https://s3.eu-west-1.amazonaws.com/mechanicbuddy-backups/tenants/acme-auto-3f9a1c/exports/${EXPORT_ID}.dump?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-Signature=…`,
      expiresAt: '2026-12-05T22:31:02.000Z',
    },
  },
};
