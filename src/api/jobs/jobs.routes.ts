import { createRoute } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { JobEventsHeaders, JobEventsQuery, JobIdParams, JobView } from './jobs.schemas.ts';

const tags = ['Jobs'];

export const getJobRoute = createRoute({
  method: 'get',
  path: '/{jobId}',
  tags,
  security: BEARER_SECURITY,
  summary: 'A job: state, progress, log, result or error',
  request: { params: JobIdParams },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: JobView } } },
    ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

export const jobEventsRoute = createRoute({
  method: 'get',
  path: '/{jobId}/events',
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
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' as const } } } },
    204: { description: 'Nothing follows: `Last-Event-ID` (or `lastEventId`) is the job\'s terminal event, or past it' },
    ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
  },
});
