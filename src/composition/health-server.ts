import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AppEnv } from '../api/app-env.ts';
import { ProblemError } from '../api/errors/problem-error.ts';
import { createOnError, problemResponse } from '../api/errors/problem.handlers.ts';
import { createHealthRouter } from '../api/health/health.router.ts';
import type { HealthDeps } from '../api/health/health.handlers.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Releasers } from './releasers.ts';

type HealthServerDeps = HealthDeps & { metrics: Metrics; logger: Logger };

/** The worker's probe and metrics routes; apart from the server so a unit test can call them. */
export function createHealthApp(deps: HealthServerDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // The handlers log through the request's logger and answer problems as the API does (a failed
  // /readyz is a 503 problem, not a 500 with a stack). No access log: probes come every few seconds.
  app.use(async (c, next) => {
    c.set('logger', deps.logger);
    await next();
  });
  // A 503 during an outage is the probe's answer, not a failure to log (the outage reporter has said it).
  const onError = createOnError(deps.logger);
  app.onError((error, c) => (error instanceof ProblemError ? problemResponse(c, error) : onError(error, c)));
  app.route('/', createHealthRouter(deps));
  app.get('/metrics', async (c) => c.body(await deps.metrics.render(), 200, { 'Content-Type': deps.metrics.contentType }));
  return app;
}

/**
 * A worker-only process still answers its probes and serves its metrics, on its own port
 * (`server.healthPort`), with the same readiness checks as the API.
 */
export function startHealthServer(deps: HealthServerDeps & { host: string; port: number }, releasers: Releasers): void {
  const app = createHealthApp(deps);
  // The port is logged: with `healthPort` 0 (several workers on one host, tests) it is the only way to find it.
  const server = serve({ fetch: app.fetch, port: deps.port, hostname: deps.host }, (info) =>
    deps.logger.info({ url: `http://${deps.host}:${info.port}` }, 'health server listening'),
  );
  releasers.add('health server', () => new Promise<void>((resolve) => server.close(() => resolve())));
}
