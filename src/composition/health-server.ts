import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createHealthRouter } from '../api/health/health.router.ts';
import type { HealthDeps } from '../api/health/health.handlers.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Releasers } from './releasers.ts';

/**
 * A worker-only process still answers its probes and serves its metrics, on its own port
 * (`server.healthPort`), with the same readiness checks as the API.
 */
export function startHealthServer(deps: HealthDeps & { metrics: Metrics; logger: Logger; host: string; port: number }, releasers: Releasers): void {
  const app = new Hono();
  app.route('/', createHealthRouter(deps));
  app.get('/metrics', async (c) => c.body(await deps.metrics.render(), 200, { 'Content-Type': deps.metrics.contentType }));
  // The port is logged: with `healthPort` 0 (several workers on one host, tests) it is the only way to find it.
  const server = serve({ fetch: app.fetch, port: deps.port, hostname: deps.host }, (info) =>
    deps.logger.info({ url: `http://${deps.host}:${info.port}` }, 'health server listening'));
  releasers.add('health server', () => new Promise<void>((resolve) => server.close(() => resolve())));
}
