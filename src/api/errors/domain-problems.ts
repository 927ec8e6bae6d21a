import type { DomainError, DomainErrorKind } from '../../domain/errors.ts';
import type { ProblemCode } from './problem-codes.ts';
import { ProblemError } from './problem-error.ts';

/**
 * The one table from domain errors to problems. Keyed by every `DomainErrorKind`, so a new kind of
 * domain error does not compile until it has a row here.
 */
export const DOMAIN_PROBLEMS = {
  not_found: 'not_found',
  conflict: 'conflict',
  validation: 'validation_failed',
  malformed: 'bad_request',
  idempotency_mismatch: 'idempotency_mismatch',
  dependency_unavailable: 'dependency_unavailable',
} as const satisfies Record<DomainErrorKind, ProblemCode>;

/** The problem a domain error is answered with: its message as `detail`, its field errors and its `Retry-After`. */
export function problemFromDomainError(error: DomainError): ProblemError {
  const retryAfter = error.retryAfterSeconds;
  return new ProblemError(DOMAIN_PROBLEMS[error.kind], {
    detail: error.message,
    ...(error.errors === undefined ? {} : { errors: error.errors }),
    ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': String(retryAfter) } }),
    cause: error,
  });
}
