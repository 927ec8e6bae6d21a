import type { RouteHandler } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { coalesceReads } from '../../jobs/coalesced-reads.ts';
import type { JobEventHub } from '../../jobs/job-event-hub.ts';
import type { JobHistory } from '../../jobs/job-history.ts';
import { dependencyCall, REDIS_DEADLINE_MS } from '../../services/dependency.ts';
import { followJobEvents, openJobEvents } from '../../services/job-event-stream.ts';
import { loadJob, readJobView, terminalEventOf, type JobQueue } from '../../services/job-view.ts';
import type { AppEnv } from '../app-env.ts';
import { ProblemError } from '../errors/problem-error.ts';
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
  // Shared by every stream of this process: one announcement wakes all of a job's subscribers at once.
  const streamHistory = coalesceReads(deps.history);
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
    if (!(await redis(loadJob(deps.queue, jobId)))) throw noJob(jobId);
    const sources = { jobId, history: streamHistory, hub: deps.hub, terminalFromQueue: () => terminalEventOf(deps.queue, jobId) };
    const cursor = await redis(openJobEvents(sources, afterId));
    // The client saw the final event: 204 is the answer that stops EventSource reconnecting for ever.
    if (cursor === 'over') return c.body(null, 204);
    const logger = c.var.logger;
    const signal = c.req.raw.signal;
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      const onRequestAbort = () => aborted.abort();
      signal.addEventListener('abort', onRequestAbort, { once: true });
      deps.shutdown?.addEventListener('abort', onRequestAbort, { once: true });
      if (deps.shutdown?.aborted) aborted.abort();
      try {
        const outcome = await followJobEvents({
          ...sources,
          cursor,
          sink: {
            event: (message) => stream.writeSSE(message),
            comment: (text) => stream.write(`: ${text}\n\n`).then(() => undefined),
          },
          signal: aborted.signal,
          heartbeatMs: deps.heartbeatSeconds * 1000,
          onError: (error) => logger.warn({ err: error, jobId }, 'job event stream ended early; the client will resume'),
        });
        logger.debug({ jobId, outcome }, 'job event stream closed');
      } finally {
        signal.removeEventListener('abort', onRequestAbort);
        deps.shutdown?.removeEventListener('abort', onRequestAbort);
      }
    });
  };

  return { get, events };
}
