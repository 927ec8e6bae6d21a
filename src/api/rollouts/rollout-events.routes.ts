import { createRoute, z } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { OPERATION_IDS } from '../openapi/links.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { RolloutIdParams } from './rollouts.routes.ts';

/**
 * An event's id is the resourceVersion of the rollout's ConfigMap it was read from. Not `updatedAt`:
 * two writes can carry the same updatedAt (a tick's decision, then the refusals it met), and only the
 * resourceVersion changes with every write, on whichever replica reads it. It is opaque, so it is
 * only ever compared for equality: "changed since" is all a reconnect asks.
 */
const RecordVersion = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be an event id (a resourceVersion such as 48213)')
  .openapi({ example: '48213' });

export const RolloutEventsQuery = z.object({
  lastEventId: RecordVersion.optional().openapi({
    param: { name: 'lastEventId', in: 'query' },
    description: 'The last event seen (for clients that cannot send Last-Event-ID); the header wins when both are present',
  }),
});

export const RolloutEventsHeaders = z.object({
  'last-event-id': RecordVersion.optional().openapi({ param: { name: 'last-event-id', in: 'header' }, description: 'The last event seen' }),
});

/** One event of the stream as tools read it; heartbeats are comments. */
const SSE_EVENT = {
  type: 'object' as const,
  description: 'One server-sent event; `data` is JSON: RolloutProgress',
  required: ['event', 'data', 'id'],
  properties: {
    event: { type: 'string' as const, enum: ['progress', 'finished'] },
    data: { type: 'string' as const, contentMediaType: 'application/json' },
    id: { type: 'string' as const, pattern: '^[A-Za-z0-9._:-]{1,64}$' },
  },
};

const SSE_EXAMPLE = [
  'event: progress\ndata: {"rolloutId":"9f2c4e1a7b","appVersion":"2026.12.1","state":"running","reason":null,"currentWave":{"index":1,"name":"wave-1"},' +
    '"bakeUntil":null,"waves":[{"name":"canary","canary":true,"total":1,"succeeded":1,"failed":0,"updating":0,"waiting":0},' +
    '{"name":"wave-1","canary":false,"total":2,"succeeded":0,"failed":0,"updating":1,"waiting":1}],' +
    '"totals":{"total":3,"succeeded":1,"failed":0,"updating":1,"waiting":1},"skipped":1,"updatedAt":"2026-12-01T09:06:15.000Z"}\nid: 48213\n',
  'event: finished\ndata: {"rolloutId":"9f2c4e1a7b","appVersion":"2026.12.1","state":"completed","reason":"every wave passed","currentWave":null,' +
    '"bakeUntil":null,"waves":[{"name":"canary","canary":true,"total":1,"succeeded":1,"failed":0,"updating":0,"waiting":0},' +
    '{"name":"wave-1","canary":false,"total":2,"succeeded":2,"failed":0,"updating":0,"waiting":0}],' +
    '"totals":{"total":3,"succeeded":3,"failed":0,"updating":0,"waiting":0},"skipped":1,"updatedAt":"2026-12-01T09:12:40.000Z"}\nid: 48377\n',
].join('\n');

export const rolloutEventsRoute = createRoute({
  method: 'get',
  path: '/{rolloutId}/events',
  operationId: OPERATION_IDS.rolloutEvents,
  tags: ['Rollouts'],
  security: BEARER_SECURITY,
  summary: "Follow a rollout's progress (server-sent events)",
  description: [
    'A rollout is a record, not a log: each event is a whole snapshot (RolloutProgress: state, reason, the current wave, per wave and in total',
    'the tenants succeeded, failed, updating and waiting), sent when the record changes. `progress` while it runs or is paused; `finished`',
    'once it has halted, been aborted or completed, and then the stream closes. The `id` is the record’s resourceVersion: a reconnect with',
    '`Last-Event-ID` (or `?lastEventId=`) gets the current snapshot at once if the record changed since, and nothing until it does otherwise.',
    'A resume after the `finished` event is answered 204 No Content, which tells an EventSource to stop reconnecting.',
    'Comments (`: heartbeat`) keep idle connections open.',
  ].join(' '),
  request: { params: RolloutIdParams, query: RolloutEventsQuery, headers: RolloutEventsHeaders },
  responses: {
    // A plain schema: the handler answers with a stream, which a zod-typed response could not describe.
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: SSE_EVENT, example: SSE_EXAMPLE } } },
    204: { description: 'Nothing follows: `Last-Event-ID` (or `lastEventId`) is the finished rollout’s last event' },
    ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
  },
});
