import { DependencyUnavailableError, isDomainError } from '../domain/errors.ts';
import { kubeStatus } from '../kubernetes/kube-errors.ts';
import { withDeadline } from './deadline.ts';

/** How long API-side reads of the cluster may take before the caller gets a 503. */
export const CLUSTER_DEADLINE_MS = 10_000;
/**
 * Redis answers in milliseconds when healthy. The intake promises a 503 within 2 s when it does not:
 * this budget plus the rate limiter's 250 ms stays below that.
 */
export const REDIS_DEADLINE_MS = 1_500;

export function unavailable(what: string, cause: unknown): DependencyUnavailableError {
  return new DependencyUnavailableError(what, cause);
}

/**
 * Runs a call to Redis, the cluster or Helm with a deadline. A timeout, a network error or a 5xx/429
 * from the cluster becomes a DependencyUnavailableError (the original is kept as `cause` for the
 * log); a deterministic cluster answer (403 from RBAC, 422…) is a bug of ours and stays as it is.
 * Errors already classified (domain errors) pass through unchanged.
 */
export async function dependencyCall<T>(what: string, work: Promise<T>, ms: number): Promise<T> {
  try {
    return await withDeadline(work, ms, what);
  } catch (error) {
    throw asDependencyError(what, error);
  }
}

/** dependencyCall's classification alone, for work that must not be cut short by a deadline. */
export function asDependencyError(what: string, error: unknown): unknown {
  if (isDomainError(error)) return error;
  const status = kubeStatus(error);
  if (status !== undefined && status < 500 && status !== 429 && status !== 409) return error;
  return unavailable(what, error);
}
