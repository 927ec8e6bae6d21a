import { z } from '@hono/zod-openapi';

/**
 * A tenant marked as a template: new tenants are provisioned as clones of it (cloneFrom), so its
 * database, prepared once, is what they start with. A mark, not a kind of tenant: it runs, is
 * backed up and billed like any other, and only a tier with backups can be one.
 */
export const TemplateRequest = z
  .strictObject({
    description: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .regex(/^[^\x00-\x1f\x7f-\x9f]*$/, 'must not contain control characters')
      .openapi({ example: 'Demo shop with sample customers, vehicles and invoices' }),
  })
  .openapi('TemplateRequest');
export type TemplateRequest = z.infer<typeof TemplateRequest>;

export const TemplateMark = z
  .strictObject({
    description: z.string(),
    markedBy: z.string().openapi({ description: "The token's subject that marked it" }),
    markedAt: z.iso.datetime(),
  })
  .openapi('TemplateMark');
export type TemplateMark = z.infer<typeof TemplateMark>;
