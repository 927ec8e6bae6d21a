import type { Redis } from 'ioredis';

/**
 * The Redis commands the API uses directly (idempotency keys, rate limits, pings). A narrow type so
 * the intent is visible and unit tests can supply a tiny in-memory implementation; the composition
 * root passes its ioredis "producer" connection (enableOfflineQueue: false, maxRetriesPerRequest: 1),
 * so every command fails fast while Redis is down instead of queueing.
 */
export type RedisCommands = Pick<Redis, 'ping' | 'get' | 'set' | 'del' | 'incr' | 'pexpire'>;
