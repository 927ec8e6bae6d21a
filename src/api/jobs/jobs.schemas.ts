import { z } from '@hono/zod-openapi';
import { isEventId } from '../../jobs/job-history.ts';

export const JobIdParams = z.object({
  jobId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be a job id')
    .openapi({ param: { name: 'jobId', in: 'path' }, example: '0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d' }),
});

// isEventId's rule, stated for the document too (a refinement alone would document any string, the empty one included).
const EventId = z
  .string()
  .refine(isEventId, 'must be an event id such as 1767225600000-0')
  .openapi({ pattern: '^[0-9]{1,20}-[0-9]{1,20}$', example: '1767225600000-0' });

export const JobEventsQuery = z.object({
  lastEventId: EventId.optional().openapi({
    param: { name: 'lastEventId', in: 'query' },
    description: 'Resume after this event (for clients that cannot send Last-Event-ID); the header wins when both are present',
  }),
});

export const JobEventsHeaders = z.object({
  'last-event-id': EventId.optional().openapi({ param: { name: 'last-event-id', in: 'header' }, description: 'Resume after this event' }),
});

// The job view's schema lives with readJobView, which returns it: one schema, no twin type.
export { JobView } from '../../services/job-view.ts';
