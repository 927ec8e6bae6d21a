import type { RouteHandler } from '@hono/zod-openapi';
import { coalesceCalls, coalesceReads } from '../../jobs/coalesced-reads.ts';
import { readJobSnapshot } from '../../jobs/job-snapshot.ts';
import type { JobEventHub } from '../../jobs/job-event-hub.ts';
import type { JobHistory } from '../../jobs/job-history.ts';
import { dependencyCall, REDIS_DEADLINE_MS } from '../../services/dependency.ts';
import { cursorOf } from '../../services/job-event-stream.ts';
import { readJobView, terminalEventOf, type JobQueue } from '../../services/job-view.ts';
import type { AppEnv } from '../app-env.ts';
import { ProblemError } from '../errors/problem-error.ts';
import { createJobEventStreams } from './job-event-streams.ts';
import type { getJobRoute, jobEventsRoute } from './jobs.routes.ts';

export type JobsHandlerDeps = {
  queue: JobQueue;
  history: Pick<JobHistory, 'read'>;
  hub: Pick<JobEventHub, 'subscribe'>;
  heartbeatSeconds: number;
  shutdown?: AbortSignal | undefined;
};

const noJob = (jobId: string) => new ProblemError('not_found', { detail: `No job ${jobId}` });
const redis = <T>(work: Promise<T>) => dependencyCall('Redis (the job queue)', work, REDIS_DEADLINE_MS);

export function jobsHandlers(deps: JobsHandlerDeps) {
  // Shared by every stream of this process: one announcement wakes all of a job's subscribers at
  // once, and clients connecting together to one job open it with one snapshot.
  const streamHistory = coalesceReads(deps.history);
  const snapshotOf = coalesceCalls(
    (jobId: string) => jobId,
    (jobId: string) => readJobSnapshot(deps.queue, deps.history, jobId),
  );
  const terminalOf = async (jobId: string) => {
    const snapshot = await snapshotOf(jobId);
    return snapshot && terminalEventOf(snapshot);
  };
  const streams = createJobEventStreams({ heartbeatMs: deps.heartbeatSeconds * 1000, shutdown: deps.shutdown });
  const get: RouteHandler<typeof getJobRoute, AppEnv> = async (c) => {
    const { jobId } = c.req.valid('param');
    const view = await redis(readJobView(deps.queue, deps.history, jobId));
    if (!view) throw noJob(jobId);
    return c.json(view, 200);
  };

  const events: RouteHandler<typeof jobEventsRoute, AppEnv> = async (c) => {
    const { jobId } = c.req.valid('param');
    // The header is what EventSource sends on reconnect; the query keeps the id of the first connection.
    const afterId = c.req.valid('header')['last-event-id'] ?? c.req.valid('query').lastEventId;
    // One round trip: whether the job exists, its history and whether BullMQ has it finished.
    const snapshot = await redis(snapshotOf(jobId));
    if (!snapshot) throw noJob(jobId);
    const cursor = cursorOf(snapshot.events, afterId, terminalEventOf(snapshot) !== undefined);
    // The client saw the final event: 204 is the answer that stops EventSource reconnecting for ever.
    if (cursor === 'over') return c.body(null, 204);
    c.header('X-Accel-Buffering', 'no');
    return streams.open(c, { jobId, history: streamHistory, hub: deps.hub, terminalFromQueue: () => terminalOf(jobId) }, cursor);
  };

  return { get, events };
}
