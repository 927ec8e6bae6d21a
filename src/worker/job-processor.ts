import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { JOB_CATALOG, isJobName, runsBesideTheTenant, type ProvisionJob } from '../jobs/job-catalog.ts';
import type { JobHistory } from '../jobs/job-history.ts';
import type { Metrics } from '../observability/metrics.ts';
import { jobHelm, type JobHelm } from '../helm/job-helm.ts';
import { isClusterUnreachable, isPermanentFailure, JobDeadlineError, jobDeadline } from './failure.ts';
import type { JobFences } from './job-fence.ts';
import { createJobReporter } from './job-reporter.ts';
import { keepLease, LeaseLostError } from './lease-keeper.ts';
import type { OperationDeps } from '../lifecycle/plans/plan-deps.ts';
import { compensate, planFor } from '../lifecycle/plans/plans.ts';
import { payloadRefMismatch } from '../lifecycle/tenant-ref.ts';
import { runSteps, StepFailedError } from './step-runner.ts';
import { runBesideTheTenant } from './beside-tenant-job.ts';
import type { TenantLeases } from './tenant-lease.ts';

export type ProcessorDeps = OperationDeps & {
  history: JobHistory;
  leases: TenantLeases;
  metrics?: Metrics | undefined;
  /** The worker's API fences; absent only where Helm is a stand-in that reaches no API server. */
  fences?: JobFences | undefined;
};

const never = new AbortController().signal;
/** How often a job retries while the Kubernetes API is unreachable. */
const CLUSTER_RETRY_MS = 2_000;
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
const leaseLost = (error: unknown) => error instanceof LeaseLostError || (error instanceof StepFailedError && error.cause instanceof LeaseLostError);

/**
 * Puts the job back to wait its turn without spending an attempt: a busy tenant, a lost lease or a
 * shutdown is not a verdict on the job. If the job's own lock is gone too, the original error is
 * rethrown and BullMQ's stalled-job check hands the job to another worker.
 */
async function waitTurn(job: Job, token: string | undefined, delayMs: number, cause?: unknown): Promise<never> {
  try {
    await job.moveToDelayed(Date.now() + delayMs, token);
  } catch {
    throw cause ?? new Error(`job ${job.id} could not be delayed`);
  }
  throw new DelayedError();
}

/**
 * The BullMQ processor for every tenant operation. The payload is re-validated here (a job that
 * does not parse fails without retry). The job then takes its tenant's lease, or waits its turn;
 * the plan runs with the lease checked before each mutating step; a failure that will not be
 * retried is compensated under the lease and recorded as the job's terminal `failed` event.
 */
export function createJobProcessor(deps: ProcessorDeps) {
  const retryMs = deps.config.queue.tenantLease.retryMs;
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<Record<string, unknown>> => {
    const jobId = job.id!;
    const logger: Logger = deps.logger.child({ jobId, jobName: job.name, attempt: job.attemptsMade + 1 });
    const fail = (failure: { step: string; message: string }) => deps.history.append(jobId, { type: 'failed', data: failure });
    if (!isJobName(job.name)) {
      await fail({ step: 'validate', message: `unknown job type ${job.name}` });
      throw new UnrecoverableError(`unknown job type ${job.name}`);
    }
    const name = job.name;
    const parsed = JOB_CATALOG[name].safeParse(job.data);
    if (!parsed.success) {
      const message = `invalid payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      await fail({ step: 'validate', message });
      throw new UnrecoverableError(message);
    }
    const payload = parsed.data;
    // The namespace and release reach `helm uninstall` and namespace deletion: they must be the tenant's own.
    const mismatch = payloadRefMismatch(deps.config, payload);
    if (mismatch) {
      await fail({ step: 'validate', message: `refused: ${mismatch}` });
      throw new UnrecoverableError(`refused: ${mismatch}`);
    }
    const scoped = { ...deps, logger: logger.child({ tenantId: payload.tenantId }) };
    const reporter = createJobReporter(job, deps.history, scoped.logger);
    // The API server away: a job pauses without spending an attempt, for as long as a whole job may take from its creation.
    const pauseWhileClusterAway = async (step: string, error: unknown, before: () => Promise<void> = async () => undefined) => {
      if (Date.now() - job.timestamp >= deps.config.timeouts.provisioning * 1000) return;
      const why = `the Kubernetes API is unreachable (${describe(error)}); trying again in ${CLUSTER_RETRY_MS} ms without spending an attempt`;
      await reporter.log('warn', step, `${name} paused at ${step}: ${why}`).catch(() => undefined);
      await before();
      await waitTurn(job, token, CLUSTER_RETRY_MS, error);
    };
    if (runsBesideTheTenant(name)) return runBesideTheTenant(scoped, job, name, payload, reporter, signal, pauseWhileClusterAway);

    const lease = await deps.leases.acquire(payload.tenantId);
    if (!lease) {
      await reporter.log('info', 'queued', `another operation is running on tenant ${payload.tenantId}; waiting ${retryMs} ms for its turn`);
      return waitTurn(job, token, retryMs);
    }
    // The whole job's deadline: each step has its own timeout, and together they must fit in this.
    const deadlineOf = jobDeadline(deps.config.timeouts, name);
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(new JobDeadlineError(name, deadlineOf)), deadlineOf.seconds * 1000);
    const keeper = keepLease(deps.leases, lease, AbortSignal.any([signal ?? never, deadline.signal]), scoped.logger, {
      marginMs: Math.floor(deps.leases.ttlMs * deps.config.queue.tenantLease.marginFraction),
    });
    // No Helm of this lease reaches the API server but through its fence; without one, no Helm runs.
    const fence = await deps.fences?.open({ lease, keeper, logger: scoped.logger }).catch(async (error: unknown) => {
      clearTimeout(deadlineTimer);
      keeper.stop();
      await deps.leases.release(lease).catch(() => undefined);
      throw error;
    });
    // Every Helm call of the job carries its signal; the lease is released only once they all exited,
    // and a lost lease kills them at once.
    const helm = jobHelm(deps.helm, keeper.signal, keeper.lost, fence?.connection);
    let undoHelm: JobHelm | undefined;
    const result: Record<string, unknown> = {};
    const metrics = deps.metrics;
    const started = performance.now();
    const finished = (outcome: 'ok' | 'error') => {
      if (name === 'provision') metrics?.provisioningFinished((payload as ProvisionJob).desired.tier, outcome, performance.now() - started);
    };
    metrics?.jobTransition(name, 'started');
    try {
      await runSteps(planFor({ ...scoped, helm: helm.helm }, name, jobId, payload, result), reporter, keeper.signal, {
        guard: () => keeper.assertHeld(),
        onStepFinished: (step, outcome, ms) => metrics?.stepFinished(name, step, outcome, ms),
      });
      await deps.history.append(jobId, { type: 'completed', data: result });
      metrics?.jobTransition(name, 'completed');
      finished('ok');
      return result;
    } catch (caught) {
      const step = caught instanceof StepFailedError ? caught.step : 'lease';
      // Past the deadline, whatever the step threw (its own abort, a cancelled Helm) is the deadline's doing.
      const error = deadline.signal.aborted && !leaseLost(caught) ? new StepFailedError(step, deadline.signal.reason) : caught;
      const message = describe(error);
      const permanent = isPermanentFailure(error);
      // The API server away (a restart, an upgrade): after the pause's window it fails as any other.
      if (!permanent && isClusterUnreachable(error)) await pauseWhileClusterAway(step, error, () => helm.idle());
      if (leaseLost(error) || (keeper.signal.aborted && !permanent)) {
        await reporter.log('warn', step, `${name} interrupted at ${step}: ${message}; it will run again`).catch(() => undefined);
        // Back in the queue only once no Helm of this attempt runs: with the lease lost, any worker
        // (this one too) could take the job and the tenant at once and meet a Helm still winding down.
        await helm.idle();
        return await waitTurn(job, token, retryMs, error);
      }
      if (permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        // Compensation runs once the job's signal may have aborted, so it gets its own: the lease, and a deadline.
        const undoSignal = AbortSignal.any([keeper.lost, AbortSignal.timeout(deps.config.timeouts.deployChart * 1000)]);
        undoHelm = jobHelm(deps.helm, undoSignal, keeper.lost, fence?.connection);
        const undo = undoHelm.helm;
        const undone = await keeper
          .assertHeld()
          .then(() => compensate({ ...scoped, helm: undo }, name, jobId, payload, { step, message }, undoSignal))
          .catch((e: unknown) => `compensation not done: ${describe(e)}`);
        await reporter.log('error', step, `${name} failed at ${step}: ${message}; ${undone}`);
        await fail({ step, message });
        metrics?.jobTransition(name, 'failed');
        finished('error');
      } else {
        await reporter.log('warn', step, `attempt ${job.attemptsMade + 1} failed at ${step}: ${message}; will retry`);
        metrics?.jobTransition(name, 'retried');
      }
      if (permanent) throw new UnrecoverableError(`${step}: ${message}`);
      throw error;
    } finally {
      clearTimeout(deadlineTimer);
      // A cancelled Helm runs on for up to its kill grace: the tenant stays ours until it has exited.
      await Promise.all([helm.idle(), undoHelm?.idle()]);
      await fence?.close();
      keeper.stop();
      await deps.leases.release(lease).catch((e: unknown) => scoped.logger.warn({ err: e }, 'could not release the tenant lease; it expires by itself'));
    }
  };
}
