import { z } from '@hono/zod-openapi';

/** Where a job is in its plan; sent after every step. */
export const JobProgress = z
  .strictObject({
    step: z.string(),
    stepIndex: z.int().min(0),
    totalSteps: z.int().min(1),
    percent: z.number().min(0).max(100),
    message: z.string(),
  })
  .openapi('JobProgress');
export type JobProgress = z.infer<typeof JobProgress>;

/** One line of the provisioning log (the seed's provisioningLog). */
export const JobLogEntry = z
  .strictObject({
    timestamp: z.iso.datetime(),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    step: z.string(),
    message: z.string(),
  })
  .openapi('JobLogEntry');
export type JobLogEntry = z.infer<typeof JobLogEntry>;

export const JobError = z.strictObject({ step: z.string(), message: z.string() }).openapi('JobError');
export type JobError = z.infer<typeof JobError>;

/** Everything a client can learn about a job, in order: the SSE stream and the durable history carry these. */
export const JobEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('progress'), data: JobProgress }),
  z.strictObject({ type: z.literal('log'), data: JobLogEntry }),
  z.strictObject({ type: z.literal('completed'), data: z.record(z.string(), z.unknown()) }),
  z.strictObject({ type: z.literal('failed'), data: JobError }),
]);
export type JobEvent = z.infer<typeof JobEvent>;
export type JobEventType = JobEvent['type'];

/** A history entry: the event and its id, which increases per job (a Redis stream id). */
export type StoredJobEvent = JobEvent & { id: string; jobId: string };

export const isTerminal = (event: JobEvent) => event.type === 'completed' || event.type === 'failed';
