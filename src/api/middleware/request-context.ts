import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { Principal } from '../auth/jwt-verifier.ts';
import type { AppEnv } from '../app-env.ts';

const PROBES = new Set(['/healthz', '/readyz']);

/**
 * Runs right after the request id: gives the request a child logger carrying `requestId` and writes
 * one access log line when the response is ready. The line holds method, path, status, duration and
 * the caller's subject, never headers, query strings or bodies (tokens, passwords, credentials).
 */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const log = logger.child({ requestId: c.var.requestId });
    c.set('logger', log);
    await next();
    const principal = c.get('principal') as Principal | undefined;
    // Probes arrive every few seconds per replica: only their failures are worth an info line.
    const level = PROBES.has(c.req.path) && c.res.status < 400 ? 'debug' : 'info';
    log[level](
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(principal ? { subject: principal.subject } : {}),
      },
      'request',
    );
  };
}
