import type { Redis } from 'ioredis';
import { BILLING_SCHEDULES_QUEUE } from '../../../src/billing/billing-schedules.ts';
import { OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import { MAINTENANCE_QUEUE } from '../../../src/jobs/sweep-catalog.ts';

/**
 * The keys that may live without a TTL, as README's "Redis keys" lists them: BullMQ's own structures
 * for each queue (ids, metadata, state lists and sets, the event stream it caps, job schedulers) and
 * each job's hash and log list, which BullMQ removes by `removeOnComplete`/`removeOnFail` age, not
 * by TTL. Every key the service writes itself (history, leases, fences, idempotency, rate limits,
 * billing ledgers and locks, outage probes) expires.
 */
const QUEUE_STRUCTURES = [
  'id',
  'meta',
  'events',
  'wait',
  'paused',
  'active',
  'completed',
  'failed',
  'delayed',
  'prioritized',
  'pc',
  'marker',
  'stalled',
  'waiting-children',
  'repeat',
  'limiter',
];

export function persistentPatterns(prefix: string): RegExp[] {
  const q = `${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(${[OPERATIONS_QUEUE, MAINTENANCE_QUEUE, BILLING_SCHEDULES_QUEUE].join('|')})`;
  return [
    new RegExp(`^${q}:(${QUEUE_STRUCTURES.join('|')})$`),
    // Job schedulers (the sweeps, billing's deferred actions) and their repeat keys.
    new RegExp(`^${q}:repeat:.+$`),
    // A job's hash and its logs.
    new RegExp(`^${q}:[^:]+(:logs)?$`),
  ];
}

export type TtlFinding = { keys: number; persistent: number; undocumented: string[] };

/** Every key under the prefix: those without a TTL must match the documented set. */
export async function checkKeyTtls(redis: Redis, prefix: string): Promise<TtlFinding> {
  const patterns = persistentPatterns(prefix);
  const finding: TtlFinding = { keys: 0, persistent: 0, undocumented: [] };
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.pttl(key);
    const ttls = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      finding.keys += 1;
      if (ttls[i]?.[1] !== -1) return;
      finding.persistent += 1;
      if (!patterns.some((p) => p.test(key))) finding.undocumented.push(key);
    });
  } while (cursor !== '0');
  return finding;
}
