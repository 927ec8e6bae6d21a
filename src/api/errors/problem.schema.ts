import { z } from '@hono/zod-openapi';
import { FieldErrorSchema } from '../../domain/field-error.ts';

export { FieldErrorSchema };

/** RFC 9457 problem details, as every error response of this API is shaped. */
export const ProblemDocument = z
  .object({
    type: z.string().openapi({ example: 'tag:tenant-provisioner,2026:problem:validation_failed' }),
    title: z.string().openapi({ example: 'Validation failed' }),
    status: z.int().openapi({ example: 422 }),
    detail: z.string().optional().openapi({ example: 'The request has 1 invalid field: ownerEmail' }),
    instance: z.string().optional().openapi({ description: 'The request path', example: '/api/provisioning/provision' }),
    requestId: z.string().optional().openapi({ description: 'Correlates the answer with the server log' }),
    errors: z.array(FieldErrorSchema).optional().openapi({ description: 'One entry per invalid field' }),
  })
  .openapi('Problem');
export type ProblemDocument = z.infer<typeof ProblemDocument>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
