import type { Redis } from 'ioredis';
import { JobEvent, type StoredJobEvent } from './job-events.schema.ts';

/**
 * The durable per-job event history: one Redis stream per job (ids increase per job, so they are
 * the SSE event ids), and one pub/sub channel on which every append is announced with its id (a
 * wake-up for readers, which then read the stream: pub/sub alone may lose or repeat a message).
 * Append and announce happen in one script, so a subscriber that reads the history after
 * subscribing misses nothing.
 */
export interface JobHistory {
  append(jobId: string, event: JobEvent): Promise<StoredJobEvent>;
  /** Events after `afterId` (exclusive), oldest first. */
  read(jobId: string, afterId?: string): Promise<StoredJobEvent[]>;
  channel: string;
}

const APPEND = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[1], 'data', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], '{"jobId":' .. ARGV[5] .. ',"id":"' .. id .. '","type":"' .. ARGV[1] .. '","data":' .. ARGV[2] .. '}')
return id`;

export type JobHistoryOptions = { prefix: string; retentionSeconds?: number; maxEvents?: number };

export function createJobHistory(redis: Redis, options: JobHistoryOptions): JobHistory {
  const key = (jobId: string) => `${options.prefix}:job-history:${jobId}`;
  const channel = `${options.prefix}:job-events`;
  const retention = String(options.retentionSeconds ?? 7 * 24 * 3600);
  const maxEvents = String(options.maxEvents ?? 2_000);

  return {
    channel,
    async append(jobId, event) {
      const data = JSON.stringify(event.data);
      const id = (await redis.eval(APPEND, 2, key(jobId), channel, event.type, data, retention, maxEvents, JSON.stringify(jobId))) as string;
      return { ...event, id, jobId };
    },
    async read(jobId, afterId) {
      const entries = await redis.xrange(key(jobId), afterId ? `(${afterId}` : '-', '+');
      const events: StoredJobEvent[] = [];
      for (const [id, fields] of entries) {
        const parsed = JobEvent.safeParse({ type: fields[1], data: JSON.parse(fields[3] ?? 'null') });
        if (parsed.success) events.push({ ...parsed.data, id, jobId });
      }
      return events;
    },
  };
}

/** Stream ids are `ms-seq`; compares them numerically. */
export function compareEventIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

/**
 * The id right before `id` (`ms-(seq-1)`, or the last possible seq of the previous millisecond):
 * reading after it is reading from `id` inclusive, with the same exclusive `read`. Undefined for
 * the smallest id, where reading from the start is the same thing.
 */
export function eventIdBefore(id: string): string | undefined {
  const [ms, seq] = id.split('-').map(BigInt) as [bigint, bigint];
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  return ms > 0n ? `${ms - 1n}-${MAX_SEQ}` : undefined;
}

/** The smallest id after `id`: what a terminal event synthesized after the history is numbered. */
export function eventIdAfter(id: string): string {
  const [ms, seq] = id.split('-').map(BigInt) as [bigint, bigint];
  return seq < MAX_SEQ ? `${ms}-${seq + 1n}` : `${ms + 1n}-0`;
}

const MAX_SEQ = 2n ** 64n - 1n;

export const isEventId = (id: string) => /^[0-9]{1,20}-[0-9]{1,20}$/.test(id);
