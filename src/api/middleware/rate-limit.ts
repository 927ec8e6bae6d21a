import type { MiddlewareHandler } from 'hono';
import { withDeadline } from '../../services/deadline.ts';
import type { RateLimiter } from '../../services/rate-limiter.ts';
import type { AppEnv } from '../app-env.ts';
import { ProblemError } from '../errors/problem-error.ts';

// Counted in the intake's 2 s promise (see REDIS_DEADLINE_MS).
const LIMITER_DEADLINE_MS = 250;

/**
 * Per-subject limit, after `bearerAuth` (it needs the verified `sub`). When Redis cannot answer the
 * request is let through: the limiter protects the service from a noisy caller, and refusing every
 * read because Redis blinked would be the larger outage. Routes that need Redis fail on their own.
 */
export function rateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let decision;
    try {
      decision = await withDeadline(limiter.hit(c.var.principal.subject), LIMITER_DEADLINE_MS, 'rate limiter');
    } catch (error) {
      c.var.logger.warn({ err: error }, 'rate limiter unavailable; request let through');
      await next();
      return;
    }
    if (!decision.allowed) {
      throw new ProblemError('rate_limited', {
        detail: `At most ${decision.limit} requests per window; retry in ${decision.retryAfterSeconds} s`,
        headers: { 'Retry-After': String(decision.retryAfterSeconds) },
      });
    }
    c.header('RateLimit-Limit', String(decision.limit));
    c.header('RateLimit-Remaining', String(decision.remaining));
    c.header('RateLimit-Reset', String(decision.resetSeconds));
    await next();
  };
}
