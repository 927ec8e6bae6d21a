import { createRoute } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { JOB_EXAMPLE, SSE_EXAMPLE } from '../openapi/examples.ts';
import { JOB_LINKS, OPERATION_IDS } from '../openapi/links.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { JobEventsHeaders, JobEventsQuery, JobIdParams, JobView } from './jobs.schemas.ts';

const tags = ['Jobs'];

/** One event of the stream as tools read it (the `event`, `data` and `id` fields); heartbeats are comments. */
const SSE_EVENT = {
  type: 'object' as const,
  description: 'One server-sent event; `data` is JSON: JobProgress, JobLogEntry, the result (completed) or JobError (failed)',
  required: ['event', 'data', 'id'],
  properties: {
    event: { type: 'string' as const, enum: ['progress', 'log', 'completed', 'failed'] },
    data: { type: 'string' as const, contentMediaType: 'application/json' },
    id: { type: 'string' as const, pattern: '^[0-9]{1,20}-[0-9]{1,20}$' },
  },
};

export const getJobRoute = createRoute({
  method: 'get',
  path: '/{jobId}',
  operationId: OPERATION_IDS.getJob,
  tags,
  security: BEARER_SECURITY,
  summary: 'A job: state, progress, log, result or error',
  request: { params: JobIdParams },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: JobView, example: JOB_EXAMPLE } }, links: JOB_LINKS },
    ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

export const jobEventsRoute = createRoute({
  method: 'get',
  path: '/{jobId}/events',
  operationId: OPERATION_IDS.jobEvents,
  tags,
  security: BEARER_SECURITY,
  summary: 'Follow a job (server-sent events)',
  description: [
    'Events `progress`, `log`, `completed` (data: the result) and `failed` (data: `{step, message}`), each with an `id` that increases per job.',
    'Reconnect with `Last-Event-ID` (or `?lastEventId=`) to resume with no gap and no duplicate.',
    'A finished job replays its history and terminal event, then the stream closes. Comments (`: heartbeat`) keep idle connections open.',
    'A resume after the terminal event is answered 204 No Content, which tells an EventSource to stop reconnecting.',
  ].join(' '),
  request: { params: JobIdParams, query: JobEventsQuery, headers: JobEventsHeaders },
  responses: {
    // A plain schema: the handler answers with a stream, which a zod-typed response could not describe.
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: SSE_EVENT, example: SSE_EXAMPLE } } },
    204: { description: "Nothing follows: `Last-Event-ID` (or `lastEventId`) is the job's terminal event, or past it" },
    ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
  },
});
