import { ZodError } from 'zod';
import { HelmError } from '../helm/helm-error.ts';
import { isPermanentKubeError } from '../kubernetes/kube-errors.ts';
import { StepFailedError } from './step-runner.ts';

/** A failure that will repeat however often the job is retried (bad input, a withdrawn intent). */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/**
 * The job ran past its whole-job deadline (`timeouts.provisioning`). It fails for good and is
 * compensated: every step fitted its own timeout, yet together they took longer than a tenant may wait.
 */
export class JobDeadlineError extends PermanentError {
  constructor(job: string, seconds: number) {
    super(`${job} did not finish within ${seconds} s (timeouts.provisioning)`);
    this.name = 'JobDeadlineError';
  }
}

/**
 * Deterministic failures (bad payload, chart rejects values, Kubernetes 400/403/404/422) fail the
 * job now; everything else (network, 409, 429, 5xx, a Helm lock, a timeout) is retried with backoff.
 */
export function isPermanentFailure(error: unknown): boolean {
  const cause = error instanceof StepFailedError ? error.cause : error;
  if (cause instanceof PermanentError || cause instanceof ZodError) return true;
  if (cause instanceof HelmError) return cause.permanent;
  return isPermanentKubeError(cause);
}
