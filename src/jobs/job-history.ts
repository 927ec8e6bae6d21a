import type { Redis } from 'ioredis';
import type { JobEvent, JobEventType, StoredJobEvent } from './job-events.schema.ts';

/**
 * The durable per-job event history: one Redis stream per job (ids increase per job, so they are
 * the SSE event ids), and one pub/sub channel on which every append is announced with its id, the
 * entry itself and `prev`, the id of the entry before it. Pub/sub alone may lose or repeat a
 * message: a reader takes an announced entry as it is only when `prev` is the last id it has, and
 * reads the stream otherwise. Append and announce happen in one script, so a subscriber that reads
 * the history after subscribing misses nothing.
 */
export interface JobHistory {
  append(jobId: string, event: JobEvent): Promise<StoredJobEvent>;
  /** Events after `afterId` (exclusive), oldest first. */
  read(jobId: string, afterId?: string): Promise<StoredJobEvent[]>;
  channel: string;
}

/**
 * Where a job's stream lives. The prefix is the queue's (`config.queue.prefix`, as for every Redis key
 * of the service), so a reader holding the BullMQ queue finds a job's history beside the job.
 */
export const historyStreamKey = (prefix: string, jobId: string) => `${prefix}:job-history:${jobId}`;

/**
 * What an announcement names as `prev` when its entry is the first of the history: `0-0`, which no
 * stream entry can have (XADD refuses it), read as "before everything" by a reader that has nothing.
 */
export const HISTORY_START = '0-0';

// The last entry is read in the same script as the XADD, so `prev` is exactly the entry before.
const APPEND = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = '${HISTORY_START}'
if last[1] then prev = last[1][1] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[1], 'data', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], '{"jobId":' .. ARGV[5] .. ',"id":"' .. id .. '","prev":"' .. prev .. '","type":"' .. ARGV[1] .. '","data":' .. ARGV[2] .. '}')
return id`;

export type JobHistoryOptions = { prefix: string; retentionSeconds?: number; maxEvents?: number };

export function createJobHistory(redis: Redis, options: JobHistoryOptions): JobHistory {
  const key = (jobId: string) => historyStreamKey(options.prefix, jobId);
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
      return decodeHistory(jobId, await redis.xrange(key(jobId), afterId ? `(${afterId}` : '-', '+'));
    },
  };
}

// A Record, so that a new JobEvent type cannot be left out here.
const KNOWN_TYPES: Record<JobEventType, true> = { progress: true, log: true, completed: true, failed: true };

/** Whether this service knows the event type (a newer worker may write one it does not). */
export const isKnownEventType = (type: unknown): type is JobEventType => typeof type === 'string' && Object.hasOwn(KNOWN_TYPES, type);

/**
 * XRANGE entries of a job's stream as events. The stream is the service's own: only `append` writes
 * it, with a typed event, so entries are not put through the schema again on every read (39 parses
 * per poll of a provision). Only the type is checked: an event type a newer worker writes during a
 * rolling upgrade is skipped, as before, instead of reaching clients that do not know it.
 */
export function decodeHistory(jobId: string, entries: [id: string, fields: string[]][]): StoredJobEvent[] {
  const events: StoredJobEvent[] = [];
  for (const [id, fields] of entries) {
    const type = fields[1];
    if (!isKnownEventType(type)) continue;
    events.push({ type, data: JSON.parse(fields[3] ?? 'null'), id, jobId } as StoredJobEvent);
  }
  return events;
}

/**
 * decodeHistory inside a script: a Lua function turning XRANGE entries into the JSON text of the
 * same events (without `jobId`), for a script that reads a history beside other keys. One string
 * comes back instead of four per entry, and one JSON.parse instead of one per entry.
 */
export const HISTORY_JSON_LUA = `
local function historyJson(entries)
  local known = {${Object.keys(KNOWN_TYPES)
    .map((type) => `['${type}'] = true`)
    .join(', ')}}
  local parts = {}
  for _, entry in ipairs(entries) do
    local fields = entry[2]
    if known[fields[2]] then
      parts[#parts + 1] = '{"id":"' .. entry[1] .. '","type":"' .. fields[2] .. '","data":' .. (fields[4] or 'null') .. '}'
    end
  end
  return '[' .. table.concat(parts, ',') .. ']'
end`;

/** The text HISTORY_JSON_LUA returned, as decodeHistory's events. */
export function parseHistoryJson(jobId: string, text: string): StoredJobEvent[] {
  const events = JSON.parse(text) as StoredJobEvent[];
  for (const event of events) event.jobId = jobId;
  return events;
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
