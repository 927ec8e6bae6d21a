import { z } from '@hono/zod-openapi';
import type { LifecycleAccepted } from './intake.ts';

/** What `202 Accepted` carries for a job: where to poll, follow and check the tenant. */
export const JobAccepted = z
  .object({
    jobId: z.string().openapi({ example: '0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d' }),
    tenantId: z.string().openapi({ example: 'acme-auto-3f9a1c' }),
    namespace: z.string().openapi({ example: 'tenant-acme-auto-3f9a1c' }),
    state: z.enum(['queued', 'active']).openapi({ description: 'A new job is always queued' }),
    links: z.object({
      job: z.string().openapi({ example: '/api/jobs/0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d' }),
      events: z.string().openapi({ example: '/api/jobs/0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d/events' }),
      status: z.string().openapi({ example: '/api/provisioning/acme-auto-3f9a1c/status' }),
    }),
  })
  .openapi('JobAccepted');
export type JobAccepted = z.infer<typeof JobAccepted>;

export function acceptedBody(a: Pick<LifecycleAccepted, 'jobId' | 'tenantId' | 'namespace' | 'state'>): JobAccepted {
  return {
    jobId: a.jobId,
    tenantId: a.tenantId,
    namespace: a.namespace,
    state: a.state,
    links: { job: `/api/jobs/${a.jobId}`, events: `/api/jobs/${a.jobId}/events`, status: `/api/provisioning/${a.tenantId}/status` },
  };
}
