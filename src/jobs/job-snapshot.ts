import { isRedisVersionLowerThan, Job, type JobJsonRaw, type JobState, Queue } from 'bullmq';
import type { StoredJobEvent } from './job-events.schema.ts';
import { HISTORY_JSON_LUA, historyStreamKey, type JobHistory, parseHistoryJson } from './job-history.ts';

/** A job as BullMQ records it, its BullMQ state and its history, read at one moment. */
export type JobSnapshot = { job: Job; state: JobState; events: StoredJobEvent[] };

// What readJobView and Job.fromJSON use of a job's hash (not its options, stack traces or parent).
const JOB_FIELDS = ['name', 'data', 'progress', 'returnvalue', 'failedReason', 'timestamp', 'processedOn', 'finishedOn', 'ats', 'atm', 'attemptsMade'];

/**
 * The job's fields, its state and its history in one script: one round trip, and one moment (no
 * step of the worker can fall between reading the state and reading the history). The state is
 * decided as BullMQ's own getStateV2 script decides it (bullmq 5), from the keys BullMQ names.
 * KEYS: job hash, completed, failed, delayed, prioritized, active, wait, paused, waiting-children,
 * history stream. ARGV: job id, then JOB_FIELDS. Returns {} for a job that does not exist or is in
 * no state.
 */
const SNAPSHOT = `${HISTORY_JSON_LUA}
local rcall = redis.call
if rcall('EXISTS', KEYS[1]) == 0 then return {} end
local id = ARGV[1]
local state
if rcall('ZSCORE', KEYS[2], id) then state = 'completed'
elseif rcall('ZSCORE', KEYS[3], id) then state = 'failed'
elseif rcall('ZSCORE', KEYS[4], id) then state = 'delayed'
elseif rcall('ZSCORE', KEYS[5], id) then state = 'prioritized'
elseif rcall('LPOS', KEYS[6], id) then state = 'active'
elseif rcall('LPOS', KEYS[7], id) or rcall('LPOS', KEYS[8], id) then state = 'waiting'
elseif rcall('ZSCORE', KEYS[9], id) then state = 'waiting-children'
else return {} end
return {state, rcall('HMGET', KEYS[1], unpack(ARGV, 2)), historyJson(rcall('XRANGE', KEYS[10], '-', '+'))}`;
const STATE_KEYS = ['completed', 'failed', 'delayed', 'prioritized', 'active', 'wait', 'paused', 'waiting-children'] as const;
const KEY_COUNT = STATE_KEYS.length + 2;

type SnapshotReply = [] | [state: JobState, fields: (string | null)[], history: string];

/**
 * Reads a job with its state and history; undefined when the job does not exist or BullMQ knows no
 * state for it. From a BullMQ Queue (what the process runs) it is one round trip, which reads the
 * history at its key beside the job (`historyStreamKey` under the queue's prefix) rather than
 * through `history`. Any other queue (the unit tests' fakes), or a Redis without LPOS (before
 * 6.0.6, where BullMQ itself scans lists), is read as BullMQ's API and `history` read it, a call at
 * a time.
 */
export async function readJobSnapshot(queue: Pick<Queue, 'getJob'>, history: Pick<JobHistory, 'read'>, jobId: string): Promise<JobSnapshot | undefined> {
  if (queue instanceof Queue) {
    const client = await queue.client;
    if (!isRedisVersionLowerThan(queue.redisVersion, '6.0.6', queue.databaseType)) return readInOneTrip(queue, client, jobId);
  }
  const job = await queue.getJob(jobId);
  if (!job) return undefined;
  const state = await job.getState();
  if (state === 'unknown') return undefined;
  return { job, state, events: await history.read(jobId) };
}

// Defined once on each client (through BullMQ's client interface, which runs it as EVALSHA and
// sends the script again when Redis has lost it).
const COMMAND = 'tenantProvisionerJobSnapshot';
const defined = new WeakSet<object>();

async function readInOneTrip(queue: Queue, client: Awaited<Queue['client']>, jobId: string): Promise<JobSnapshot | undefined> {
  if (!defined.has(client)) {
    client.defineCommand(COMMAND, { numberOfKeys: KEY_COUNT, lua: SNAPSHOT, readOnly: true });
    defined.add(client);
  }
  const keys = [queue.toKey(jobId), ...STATE_KEYS.map((name) => queue.toKey(name)), historyStreamKey(queue.opts.prefix ?? 'bull', jobId)];
  const reply = (await client.runCommand(COMMAND, [...keys, jobId, ...JOB_FIELDS])) as SnapshotReply;
  if (reply.length === 0) return undefined;
  const [state, fields, history] = reply;
  const raw: Record<string, string> = {};
  for (const [i, name] of JOB_FIELDS.entries()) if (typeof fields[i] === 'string') raw[name] = fields[i];
  return { job: Job.fromJSON(queue, raw as unknown as JobJsonRaw, jobId), state, events: parseHistoryJson(jobId, history) };
}
