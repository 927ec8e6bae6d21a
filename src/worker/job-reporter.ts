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
    // The entry itself already went to the process log (above); only its copy in the history is lost.
    unwritten(step, message, error) {
      logger.warn({ step, err: error instanceof Error ? error.message : String(error) }, `could not record "${message}" in the job history; carrying on`);
    },
  };
}
