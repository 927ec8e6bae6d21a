import { createHash } from 'node:crypto';
import type { RedisCommands } from './redis-commands.ts';

export type RateDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; limit: number; retryAfterSeconds: number };

export interface RateLimiter {
  hit(subject: string): Promise<RateDecision>;
}

export type RateLimitOptions = {
  prefix: string;
  windowSeconds: number;
  maxRequests: number;
  /** Subjects with a limit of their own instead of maxRequests (a test or load client). */
  subjects?: Readonly<Record<string, number>>;
  now?: () => number;
};

/**
 * A fixed window per subject in Redis: INCR a key named after the window, expire it with the window.
 * The window index is in the key, so even a key whose EXPIRE was lost (a crash between the two
 * commands) cannot block the subject beyond its own window.
 */
export function createRateLimiter(redis: RedisCommands, options: RateLimitOptions): RateLimiter {
  const windowMs = options.windowSeconds * 1000;
  const now = options.now ?? Date.now;
  return {
    async hit(subject) {
      const at = now();
      const window = Math.floor(at / windowMs);
      const key = `${options.prefix}:${createHash('sha256').update(subject).digest('hex').slice(0, 32)}:${window}`;
      const limit = options.subjects?.[subject] ?? options.maxRequests;
      const count = await redis.incr(key);
      if (count === 1) await redis.pexpire(key, windowMs + 1_000);
      const resetSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - at) / 1000));
      if (count > limit) return { allowed: false, limit, retryAfterSeconds: resetSeconds };
      return { allowed: true, limit, remaining: limit - count, resetSeconds };
    },
  };
}
