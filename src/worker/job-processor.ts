import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { JOB_CATALOG, isJobName, type DeprovisionJob, type JobName, type ProvisionJob } from '../jobs/job-catalog.ts';
import type { JobHistory } from '../jobs/job-history.ts';
import { isPermanentFailure } from './failure.ts';
import { createJobReporter } from './job-reporter.ts';
import type { OperationDeps } from './operation-deps.ts';
import { deprovisionSteps } from './operations/deprovision.operation.ts';
import { provisionSteps } from './operations/provision.operation.ts';
import { runSteps, StepFailedError, type Step } from './step-runner.ts';

export type ProcessorDeps = OperationDeps & { history: JobHistory };

const never = new AbortController().signal;

function plan(deps: OperationDeps, name: JobName, jobId: string, payload: unknown, result: Record<string, unknown>): Step[] {
  switch (name) {
    case 'provision':
      return provisionSteps(deps, jobId, payload as ProvisionJob, result);
    case 'deprovision':
      return deprovisionSteps(deps, jobId, payload as DeprovisionJob, result);
  }
}

/** Undo what a provision that will not be retried left behind (unless configured to keep it). */
async function compensate(deps: OperationDeps, name: JobName, jobId: string, payload: ProvisionJob | DeprovisionJob, failure: { step: string; message: string }) {
  const at = new Date().toISOString();
  if (name === 'provision' && !deps.config.provisioning.keepFailedForInspection) {
    await deps.helm.uninstall(payload.release, payload.namespace);
    await deps.registry.delete(payload.tenantId);
    return 'release uninstalled and namespace deleted';
  }
  if (await deps.registry.get(payload.tenantId)) {
    await deps.registry.setOperation(payload.tenantId, { type: name, jobId, state: 'failed', at, ...failure });
  }
  return 'kept for inspection';
}

/**
 * The BullMQ processor for every tenant operation. The payload is re-validated here (a job that
 * does not parse fails without retry); the plan runs step by step; a failure that will not be
 * retried is compensated and recorded as the job's terminal `failed` event.
 */
export function createJobProcessor(deps: ProcessorDeps) {
  return async (job: Job, _token?: string, signal?: AbortSignal): Promise<Record<string, unknown>> => {
    const jobId = job.id!;
    const logger: Logger = deps.logger.child({ jobId, jobName: job.name, attempt: job.attemptsMade + 1 });
    const fail = async (failure: { step: string; message: string }) => {
      await deps.history.append(jobId, { type: 'failed', data: failure });
    };
    if (!isJobName(job.name)) {
      await fail({ step: 'validate', message: `unknown job type ${job.name}` });
      throw new UnrecoverableError(`unknown job type ${job.name}`);
    }
    const parsed = JOB_CATALOG[job.name].safeParse(job.data);
    if (!parsed.success) {
      const message = `invalid payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      await fail({ step: 'validate', message });
      throw new UnrecoverableError(message);
    }
    const payload = parsed.data;
    const scoped = { ...deps, logger: logger.child({ tenantId: payload.tenantId }) };
    const reporter = createJobReporter(job, deps.history, scoped.logger);
    const result: Record<string, unknown> = {};
    try {
      await runSteps(plan(scoped, job.name, jobId, payload, result), reporter, signal ?? never);
      await deps.history.append(jobId, { type: 'completed', data: result });
      return result;
    } catch (error) {
      const step = error instanceof StepFailedError ? error.step : 'unknown';
      const message = error instanceof Error ? error.message : String(error);
      const permanent = isPermanentFailure(error);
      // A worker shutting down or a cancelled job is not a verdict on the tenant: leave it for the next attempt.
      const interrupted = signal?.aborted === true && !permanent;
      const final = !interrupted && (permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
      if (final) {
        const undone = await compensate(scoped, job.name, jobId, payload, { step, message }).catch((e: unknown) => `compensation failed: ${String(e)}`);
        await reporter.log('error', step, `${job.name} failed at ${step}: ${message}; ${undone}`);
        await fail({ step, message });
      } else {
        await reporter.log('warn', step, `attempt ${job.attemptsMade + 1} failed at ${step}: ${message}; will retry`);
      }
      if (permanent) throw new UnrecoverableError(`${step}: ${message}`);
      throw error;
    }
  };
}
