import type { Job, JobsOptions, Queue } from 'bullmq';
import { redisWriteError, type World } from './world.ts';

export type JobState = 'waiting' | 'active' | 'completed' | 'failed';

/** One BullMQ job as the model keeps it: enough for the processor, the reconciler and the SSE stream. */
export type QueuedJob = {
  id: string;
  name: string;
  data: Record<string, unknown>;
  state: JobState;
  attemptsMade: number;
  attempts: number;
  returnvalue?: unknown;
  failedReason?: string;
  /** Who added it: an accepted request (HTTP, billing, a sweep) or the setup. */
  addedBy: string;
};

/**
 * The part of a BullMQ Queue the producer and the reconciler use, over a map of jobs by id. As in
 * BullMQ, adding a job under an id that exists is a no-op (fixed ids are how the sweeps and billing
 * make a repeated request one job); `add` is a Redis write and fails while Redis refuses writes.
 */
export class FakeQueue {
  readonly jobs = new Map<string, QueuedJob>();
  private readonly world: World;

  constructor(world: World) {
    this.world = world;
  }

  async add(name: string, data: Record<string, unknown>, options: JobsOptions & { jobId: string }): Promise<{ id: string }> {
    await this.world.step(`queue add ${name} ${options.jobId}`);
    if (this.world.redisWriteFails()) throw redisWriteError();
    if (this.world.isIntake() && typeof data['tenantId'] === 'string') this.world.accept(data['tenantId'], options.jobId);
    if (!this.jobs.has(options.jobId)) {
      this.jobs.set(options.jobId, {
        id: options.jobId,
        name,
        data,
        state: 'waiting',
        attemptsMade: 0,
        attempts: options.attempts ?? 1,
        addedBy: this.world.actor().id,
      });
    }
    return { id: options.jobId };
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    await this.world.step(`queue getJob ${jobId}`);
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    return {
      id: job.id,
      name: job.name,
      data: job.data,
      attemptsMade: job.attemptsMade,
      returnvalue: job.returnvalue,
      failedReason: job.failedReason,
      getState: async () => job.state,
      retry: async () => {
        if (job.state === 'failed') Object.assign(job, { state: 'waiting', attemptsMade: 0 });
      },
    } as unknown as Job;
  }

  asQueue(): Queue {
    return this as unknown as Queue;
  }

  /** The next job a worker would take, in the order they were added. */
  next(): QueuedJob | undefined {
    return [...this.jobs.values()].find((j) => j.state === 'waiting');
  }

  /** A finished job delivered again: "Retry" in Bull Board, or a stall after its last write. */
  redeliver(index: number): QueuedJob | undefined {
    const finished = [...this.jobs.values()].filter((j) => j.state === 'completed' || j.state === 'failed');
    const job = finished[index % Math.max(1, finished.length)];
    if (job) Object.assign(job, { state: 'waiting', attemptsMade: 0 });
    return job;
  }

  /** The terminal event BullMQ knows for a finished job (the SSE stream synthesizes it when the history lacks one). */
  terminal(jobId: string) {
    const job = this.jobs.get(jobId);
    if (job?.state === 'completed') return { type: 'completed' as const, data: (job.returnvalue ?? {}) as Record<string, unknown> };
    if (job?.state === 'failed') return { type: 'failed' as const, data: { step: 'unknown', message: job.failedReason ?? 'failed' } };
    return undefined;
  }
}
