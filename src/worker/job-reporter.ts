import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { JobHistory } from '../jobs/job-history.ts';
import type { StepReporter } from './step-runner.ts';

/**
 * Progress goes to the job (GET /api/jobs/{id}) and, like every log entry, to the job's durable
 * history (SSE). Messages come from our own step code; they never carry a secret.
 */
export function createJobReporter(job: Job, history: JobHistory, logger: Logger): StepReporter {
  const jobId = job.id!;
  return {
    async progress(progress) {
      await history.append(jobId, { type: 'progress', data: progress });
      await job.updateProgress(progress);
    },
    async log(level, step, message) {
      logger[level]({ step }, message);
      await history.append(jobId, { type: 'log', data: { timestamp: new Date().toISOString(), level, step, message } });
    },
  };
}
