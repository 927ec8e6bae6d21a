import { z } from '@hono/zod-openapi';
import type { Job, JobState, Queue } from 'bullmq';
import { JobError, JobLogEntry, JobProgress, type JobEvent } from '../jobs/job-events.schema.ts';
import type { JobHistory } from '../jobs/job-history.ts';
import { readJobSnapshot, type JobSnapshot } from '../jobs/job-snapshot.ts';

const JOB_STATES = ['queued', 'active', 'completed', 'failed'] as const;
export type PublicJobState = (typeof JOB_STATES)[number];

/** A job as `GET /api/jobs/{jobId}` shows it: BullMQ's record plus its durable history. */
export const JobView = z
  .object({
    jobId: z.string(),
    type: z.string().openapi({ example: 'provision' }),
    tenantId: z.string().nullable(),
    state: z.enum(JOB_STATES),
    attempt: z.int().openapi({ description: 'Attempts started so far (0 while queued)' }),
    progress: JobProgress.nullable(),
    log: z.array(JobLogEntry),
    result: z.record(z.string(), z.unknown()).nullable(),
    error: JobError.nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi('Job');
export type JobView = z.infer<typeof JobView>;

/** The part of a BullMQ Queue the API reads jobs through. */
export type JobQueue = Pick<Queue, 'getJob'>;

/** BullMQ's states as a client needs them: everything not yet started is `queued`. */
function publicJobState(state: JobState | 'unknown'): PublicJobState | undefined {
  switch (state) {
    case 'completed':
    case 'failed':
    case 'active':
      return state;
    case 'waiting':
    case 'delayed':
    case 'prioritized':
    case 'waiting-children':
      return 'queued';
    default:
      return undefined;
  }
}

export async function readJobView(queue: JobQueue, history: Pick<JobHistory, 'read'>, jobId: string): Promise<JobView | undefined> {
  const snapshot = await readJobSnapshot(queue, history, jobId);
  const state = snapshot && publicJobState(snapshot.state);
  if (!state) return undefined;
  const { job, events } = snapshot;
  const log = events.flatMap((event) => (event.type === 'log' ? [event.data] : []));
  const failed = events.findLast((event) => event.type === 'failed');
  const progress = JobProgress.safeParse(job.progress);
  const finished = state === 'completed' || state === 'failed';
  return {
    jobId,
    type: job.name,
    tenantId: tenantIdOf(job),
    state,
    attempt: job.attemptsStarted ?? job.attemptsMade,
    progress: progress.success ? progress.data : null,
    log,
    result: state === 'completed' ? asRecord(job.returnvalue) : null,
    error: failed?.type === 'failed' ? failed.data : state === 'failed' ? failureOf(job) : null,
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: job.processedOn ? new Date(job.processedOn).toISOString() : null,
    finishedAt: finished && job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}

/**
 * The terminal event of a finished job, from BullMQ's own record. Used when the job is finished but
 * its history has no terminal event (the worker stopped between finishing the job and recording it).
 */
export function terminalEventOf({ job, state }: Pick<JobSnapshot, 'job' | 'state'>): JobEvent | undefined {
  if (state === 'completed') return { type: 'completed', data: asRecord(job.returnvalue) ?? {} };
  if (state === 'failed') return { type: 'failed', data: failureOf(job) };
  return undefined;
}

function failureOf(job: Job): JobError {
  const progress = JobProgress.safeParse(job.progress);
  return { step: progress.success ? progress.data.step : 'unknown', message: job.failedReason || 'the job failed' };
}

function tenantIdOf(job: Job): string | null {
  const data: unknown = job.data;
  const id = typeof data === 'object' && data !== null ? (data as { tenantId?: unknown }).tenantId : undefined;
  return typeof id === 'string' ? id : null;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
