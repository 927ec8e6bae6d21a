import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { JobHistory } from '../jobs/job-history.ts';
import type { JobName } from '../jobs/job-catalog.ts';
import type { OperationDeps } from '../lifecycle/plans/plan-deps.ts';
import { planFor, type TenantPayload } from '../lifecycle/plans/plans.ts';
import type { Metrics } from '../observability/metrics.ts';
import { isClusterUnreachable, isPermanentFailure, JobDeadlineError } from './failure.ts';
import { runSteps, StepFailedError, type StepReporter } from './step-runner.ts';

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs such a job through the same step runner, reporter, history and metrics as every operation,
 * without the tenant's lease (so without a fence: these plans run no Helm). Bounded by the sum of
 * its steps' timeouts; nothing to compensate, since the plan changes neither release nor record.
 */
export async function runBesideTheTenant(
  deps: OperationDeps & { history: JobHistory; metrics?: Metrics | undefined; logger: Logger },
  job: Job,
  name: JobName,
  payload: TenantPayload,
  reporter: StepReporter,
  signal: AbortSignal | undefined,
  /** Moves the job to delayed without spending an attempt (it throws when it does), or resolves when the job waited long enough. */
  pauseWhileClusterAway: (step: string, error: unknown) => Promise<void>,
): Promise<Record<string, unknown>> {
  const jobId = job.id!;
  const result: Record<string, unknown> = {};
  const steps = planFor(deps, name, jobId, payload, result);
  const deadlineSeconds = steps.reduce((sum, s) => sum + s.timeoutSeconds, 0);
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new JobDeadlineError(name, { seconds: deadlineSeconds, settings: "the sum of its steps' timeouts" })),
    deadlineSeconds * 1000,
  );
  deps.metrics?.jobTransition(name, 'started');
  try {
    await runSteps(steps, reporter, signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal, {
      onStepFinished: (step, outcome, ms) => deps.metrics?.stepFinished(name, step, outcome, ms),
    });
    await deps.history.append(jobId, { type: 'completed', data: result });
    deps.metrics?.jobTransition(name, 'completed');
    return result;
  } catch (error) {
    const step = error instanceof StepFailedError ? error.step : 'start';
    const message = describe(error);
    const permanent = isPermanentFailure(error);
    // A backup asked during an API server restart waits for it, as every tenant operation does.
    if (!permanent && isClusterUnreachable(error)) await pauseWhileClusterAway(step, error);
    if (permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      await reporter.log('error', step, `${name} failed at ${step}: ${message}`);
      await deps.history.append(jobId, { type: 'failed', data: { step, message } });
      deps.metrics?.jobTransition(name, 'failed');
    } else {
      await reporter.log('warn', step, `attempt ${job.attemptsMade + 1} failed at ${step}: ${message}; will retry`);
      deps.metrics?.jobTransition(name, 'retried');
    }
    if (permanent) throw new UnrecoverableError(`${step}: ${message}`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
