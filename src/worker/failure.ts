import { ZodError } from 'zod';
import { HelmError } from '../helm/helm-error.ts';
import { isPermanentKubeError, kubeStatus } from '../kubernetes/kube-errors.ts';
import { StepFailedError } from './step-runner.ts';

/** A failure that will repeat however often the job is retried (bad input, a withdrawn intent). */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/**
 * A job's whole deadline and the settings it comes from: `timeouts.provisioning`; a restore copies
 * and replays a whole database, `timeouts.restore`; a deprovision may wait for a final backup as long
 * as any backup, `timeouts.provisioning + timeouts.backup`, and so may an export (its dump).
 */
export function jobDeadline(timeouts: { provisioning: number; restore: number; backup: number }, job: string): { seconds: number; settings: string } {
  if (job === 'restore') return { seconds: timeouts.restore, settings: 'timeouts.restore' };
  if (job === 'deprovision' || job === 'export')
    return { seconds: timeouts.provisioning + timeouts.backup, settings: 'timeouts.provisioning + timeouts.backup' };
  return { seconds: timeouts.provisioning, settings: 'timeouts.provisioning' };
}

/**
 * The job ran past its whole-job deadline (jobDeadline). It fails for good and is compensated: every
 * step fitted its own timeout, yet together they took longer than a tenant may wait.
 */
export class JobDeadlineError extends PermanentError {
  constructor(job: string, deadline: { seconds: number; settings: string }) {
    super(`${job} did not finish within ${deadline.seconds} s (${deadline.settings})`);
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

// Node's fetch (client-node 2.x) fails with "fetch failed" and the socket error as its cause; Helm
// says "kubernetes cluster unreachable" or shows the dial error.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);
const HELM_UNREACHABLE =
  /kubernetes cluster unreachable|connection refused|connection reset by peer|no route to host|i\/o timeout|the server is currently unable to handle the request|apiserver is shutting down/i;

/**
 * The Kubernetes API could not be reached at all (refused, reset, unresolvable, or answering 503
 * while it restarts): nothing is wrong with the job, the control plane is away.
 */
export function isClusterUnreachable(error: unknown): boolean {
  let cause: unknown = error instanceof StepFailedError ? error.cause : error;
  if (cause instanceof HelmError) return HELM_UNREACHABLE.test(cause.stderr);
  if (kubeStatus(cause) === 503) return true;
  for (let depth = 0; depth < 4 && typeof cause === 'object' && cause !== null; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
