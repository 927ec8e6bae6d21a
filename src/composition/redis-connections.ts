import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_URL, type RedisConfig, sentinelAddress } from '../config/redis-config.schema.ts';

/**
 * What a connection is for; each role has its own behaviour while Redis is away or failing over:
 * - `fail-fast`: the API's producer (queue, idempotency, rate limiter, intake ping). Commands fail at
 *   once while no primary is known, so the intake answers 503 within its deadline.
 * - `durable`: workers, history, billing schedules. Commands wait out a restart or failover.
 * - `subscriber`: pub/sub (the job event hub); waits, and ioredis re-subscribes on reconnect.
 * - `lease`: the tenant leases; see `leaseRedisOptions`.
 */
export type RedisRole = 'fail-fast' | 'durable' | 'subscriber' | { lease: { ttlMs: number } };

/** Workers and subscribers wait out a Redis restart. */
const DURABLE_REDIS: RedisOptions = { maxRetriesPerRequest: null };
/** The API's producer fails fast, so intake can answer 503 within its deadline. */
const FAIL_FAST_REDIS: RedisOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 };
/**
 * The tenant leases' connection: every command times out within a third of the lease TTL (the
 * renewal interval), so a hung acquire, guard or renewal fails rather than outliving the lease.
 * A command in flight when the connection drops is failed, not resent on the next connection: a
 * lease write and the WAIT that confirms it must reach the same primary (src/worker/tenant-lease.ts).
 */
export const leaseRedisOptions = (ttlMs: number): RedisOptions => ({
  maxRetriesPerRequest: null,
  commandTimeout: Math.max(100, Math.floor(ttlMs / 3)),
  autoResendUnfulfilledCommands: false,
});

function roleOptions(role: RedisRole): RedisOptions {
  if (role === 'fail-fast') return FAIL_FAST_REDIS;
  if (role === 'durable' || role === 'subscriber') return DURABLE_REDIS;
  return leaseRedisOptions(role.lease.ttlMs);
}

function tlsOptions(tls: NonNullable<RedisConfig['tls']>): TlsOptions {
  return {
    ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
  };
}

/** A redis:// or rediss:// URL as ioredis options, so that both modes go through one options object. */
function urlOptions(redis: RedisConfig): RedisOptions {
  const url = new URL(redis.url ?? DEFAULT_REDIS_URL);
  const db = url.pathname.replace(/^\//, '');
  const password = redis.password ?? (url.password === '' ? undefined : decodeURIComponent(url.password));
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(password === undefined ? {} : { password }),
    ...(db === '' ? {} : { db: Number(db) }),
    ...(url.protocol === 'rediss:' ? { tls: redis.tls ? tlsOptions(redis.tls) : {} } : {}),
  };
}

/** A demoted primary answers writes with READONLY until the client reconnects and asks the sentinels again. */
const isReadOnly = (error: Error) => error.message.startsWith('READONLY');

function sentinelOptions(redis: RedisConfig, role: RedisRole): RedisOptions {
  // Only the durable roles have the failed command sent again: the caller of a fail-fast command
  // gets its error (503), and a lease write must not be replayed on a connection its WAIT did not see.
  const resend = role === 'durable' || role === 'subscriber';
  return {
    sentinels: (redis.sentinels ?? []).map(sentinelAddress),
    name: redis.name as string,
    ...(redis.password === undefined ? {} : { password: redis.password }),
    ...(redis.sentinelPassword === undefined ? {} : { sentinelPassword: redis.sentinelPassword }),
    ...(redis.tls === undefined ? {} : { enableTLSForSentinelMode: true, tls: tlsOptions(redis.tls) }),
    ...(redis.sentinelTls === undefined ? {} : { sentinelTLS: tlsOptions(redis.sentinelTls) }),
    // No failoverDetector: a +switch-master that arrives while ioredis is still resolving the primary
    // (it is, whenever the old primary died) rejects that connect attempt, and ioredis then ends the
    // connection for good ('Connection is closed.' on every later command: seen in test/integration/ha).
    // Sentinel has the demoted primary drop its clients (CLIENT KILL TYPE normal) anyway, and a
    // READONLY that slips through sends the connection back to the sentinels below.
    sentinelCommandTimeout: 1_000,
    // Ask the sentinels again at least every half second: ioredis' default backs off to 2 s, which
    // kept the API answering 503 for up to 2 s after a replica had been promoted.
    retryStrategy: (times: number) => Math.min(times * 50, 500),
    reconnectOnError: (error) => (isReadOnly(error) ? (resend ? 2 : 1) : false),
  };
}

/**
 * The options of one connection for `role`: one Redis or the primary the sentinels name. BullMQ
 * takes these where it opens connections of its own (QueueEvents).
 */
export function redisOptions(redis: RedisConfig, role: RedisRole): RedisOptions {
  const target = redis.sentinels === undefined ? urlOptions(redis) : sentinelOptions(redis, role);
  return { ...target, ...roleOptions(role) };
}

/** Every ioredis connection of the service is made here, from the config's `redis` section. */
export function redisConnection(redis: RedisConfig, role: RedisRole): Redis {
  return new Redis(redisOptions(redis, role));
}

/** How many replicas must acknowledge a lease write: the configured number, else 1 with sentinels. */
export function leaseReplicas(redis: RedisConfig): number {
  return redis.leaseReplicas ?? (redis.sentinels === undefined ? 0 : 1);
}
