import type { Job, JobState } from 'bullmq';
import type { JobName, JobPayload } from '../../../../src/jobs/job-catalog.ts';
import type { JobProducer } from '../../../../src/jobs/job-producer.ts';

/** What a test needs to say about a job; the fake exposes it through BullMQ's Job fields. */
export type FakeJob = {
  id: string;
  name: string;
  data: Record<string, unknown>;
  state: JobState;
  progress?: unknown;
  returnvalue?: unknown;
  failedReason?: string;
  timestamp?: number;
  processedOn?: number;
  finishedOn?: number;
  attemptsStarted?: number;
};

/** JobProducer and the read side of a BullMQ Queue, in one map, so an enqueued job can be read back. */
export class FakeQueue implements JobProducer {
  readonly jobs = new Map<string, FakeJob>();
  enqueueError: Error | undefined;
  hangEnqueue = false;

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, jobId: string) {
    if (this.hangEnqueue) await new Promise(() => undefined);
    if (this.enqueueError) throw this.enqueueError;
    this.jobs.set(jobId, { id: jobId, name, data: payload as Record<string, unknown>, state: 'waiting', timestamp: Date.now() });
    return jobId;
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    return {
      id: job.id,
      name: job.name,
      data: job.data,
      progress: job.progress ?? 0,
      returnvalue: job.returnvalue ?? null,
      failedReason: job.failedReason ?? '',
      timestamp: job.timestamp ?? 1_767_225_600_000,
      processedOn: job.processedOn,
      finishedOn: job.finishedOn,
      attemptsStarted: job.attemptsStarted ?? 0,
      attemptsMade: job.attemptsStarted ?? 0,
      getState: async () => this.jobs.get(jobId)?.state ?? 'unknown',
    } as unknown as Job;
  }

  put(job: FakeJob): FakeJob {
    this.jobs.set(job.id, job);
    return job;
  }
}
