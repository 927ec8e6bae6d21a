import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../errors/problem.openapi.ts';
import { OPERATION_IDS } from '../openapi/links.ts';

export const HealthReport = z
  .object({
    status: z.literal('ok'),
    checks: z
      .record(z.string(), z.literal('ok'))
      .optional()
      .openapi({ example: { redis: 'ok', kubernetes: 'ok' } }),
  })
  .openapi('Health');
export type HealthReport = z.infer<typeof HealthReport>;

const tags = ['Operations'];

export const healthzRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: OPERATION_IDS.healthz,
  tags,
  security: [],
  summary: 'Liveness: the process answers',
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: HealthReport, example: { status: 'ok' } } } } },
});

export const readyzRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: OPERATION_IDS.readyz,
  tags,
  security: [],
  summary: 'Readiness: Redis and the Kubernetes API answer',
  responses: {
    200: {
      description: 'Ready',
      content: { 'application/json': { schema: HealthReport, example: { status: 'ok', checks: { redis: 'ok', kubernetes: 'ok' } } } },
    },
    ...errorResponses('dependency_unavailable'),
  },
});
