import type { JobsOptions, Queue } from 'bullmq';
import { JOB_CATALOG, type JobName, type JobPayload } from './job-catalog.ts';

export type RetryPolicy = { attempts: number; backoff: { type: 'exponential' | 'fixed'; delaySeconds: number } };

/** Adds tenant operations to the queue; payloads are validated here and again by the worker. */
export interface JobProducer {
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, jobId: string): Promise<string>;
}

export function createJobProducer(queue: Queue, retry: RetryPolicy, onEnqueued?: (name: JobName) => void): JobProducer {
  const options: JobsOptions = {
    attempts: retry.attempts,
    backoff: { type: retry.backoff.type, delay: retry.backoff.delaySeconds * 1000 },
    // Finished jobs stay readable (GET /api/jobs/{id}) for a week, failed ones for a month.
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 30 * 24 * 3600 },
  };
  return {
    async enqueue(name, payload, jobId) {
      const data = JOB_CATALOG[name].parse(payload);
      const job = await queue.add(name, data, { ...options, jobId });
      onEnqueued?.(name);
      return job.id ?? jobId;
    },
  };
}
