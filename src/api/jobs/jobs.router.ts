import type { MiddlewareHandler } from 'hono';
import { createRouter } from '../app-env.ts';
import { jobsHandlers, type JobsHandlerDeps } from './jobs.handlers.ts';
import { getJobRoute, jobEventsRoute } from './jobs.routes.ts';

/** `/api/jobs`: a job's state, and its events as they happen. */
export function createJobsRouter(deps: JobsHandlerDeps, guard: MiddlewareHandler[]) {
  const handlers = jobsHandlers(deps);
  const router = createRouter();
  router.use('*', ...guard);
  router.openapi(getJobRoute, handlers.get);
  router.openapi(jobEventsRoute, handlers.events);
  return router;
}
