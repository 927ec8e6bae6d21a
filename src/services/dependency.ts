import { ProblemError } from '../api/errors/problem-error.ts';
import { kubeStatus } from '../kubernetes/kube-errors.ts';
import { withDeadline } from './deadline.ts';

/** How long API-side reads of the cluster may take before the caller gets a 503. */
export const CLUSTER_DEADLINE_MS = 10_000;
/**
 * Redis answers in milliseconds when healthy. The intake promises a 503 within 2 s when it does not:
 * this budget plus the rate limiter's 250 ms stays below that.
 */
export const REDIS_DEADLINE_MS = 1_500;

export function unavailable(what: string, cause: unknown): ProblemError<'dependency_unavailable'> {
  return new ProblemError('dependency_unavailable', { detail: `${what} is unavailable; try again shortly`, cause });
}

/**
 * Runs a call to Redis, the cluster or Helm with a deadline. A timeout, a network error or a 5xx/429
 * from the cluster becomes a 503 problem (the original is kept as `cause` for the log); a
 * deterministic cluster answer (403 from RBAC, 422…) is a bug of ours and stays a 500.
 */
export async function dependencyCall<T>(what: string, work: Promise<T>, ms: number): Promise<T> {
  try {
    return await withDeadline(work, ms, what);
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    const status = kubeStatus(error);
    if (status !== undefined && status < 500 && status !== 429 && status !== 409) throw error;
    throw unavailable(what, error);
  }
}
