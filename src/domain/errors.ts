import type { FieldError } from './field-error.ts';

/**
 * The errors services and domain code throw on purpose. They know nothing of HTTP: one table in
 * `api/errors` maps each `kind` to a problem code, so a new kind does not compile until it is mapped.
 *
 * `message` is written for the caller (the API shows it as the problem's `detail`); internals go
 * in `cause`, which is logged and never sent.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  /** One entry per offending field, when the error is about fields. */
  readonly errors: readonly FieldError[] | undefined;
  /** When a retry may succeed, in seconds (HTTP `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export type DomainErrorKind = 'not_found' | 'conflict' | 'validation' | 'malformed' | 'idempotency_mismatch' | 'dependency_unavailable';

export interface DomainErrorOptions {
  errors?: readonly FieldError[] | undefined;
  retryAfterSeconds?: number | undefined;
  cause?: unknown;
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** The thing asked about does not exist (a tenant, a job, a tenant's credentials). */
export class NotFoundError extends DomainError {
  override readonly name: string = 'NotFoundError';
  readonly kind = 'not_found';
}

/**
 * The request clashes with the current state (an id already taken, a delivery already being
 * processed, a tenant being removed). `retryAfterSeconds` when waiting may resolve it.
 */
export class ConflictError extends DomainError {
  override readonly name: string = 'ConflictError';
  readonly kind = 'conflict';
}

/** The request is well-formed but cannot be done as asked, with the reason per field. */
export class ValidationError extends DomainError {
  override readonly name: string = 'ValidationError';
  readonly kind = 'validation';
  declare readonly errors: readonly FieldError[];
  constructor(message: string, errors: readonly FieldError[], options: Omit<DomainErrorOptions, 'errors'> = {}) {
    super(message, { ...options, errors });
  }
}

/** Input the caller sent cannot be read at all (an expired cursor, an unsigned webhook). */
export class MalformedInputError extends DomainError {
  override readonly name: string = 'MalformedInputError';
  readonly kind = 'malformed';
}

/** An idempotency key came back with a different request than the one it was first used for. */
export class IdempotencyMismatchError extends DomainError {
  override readonly name: string = 'IdempotencyMismatchError';
  readonly kind = 'idempotency_mismatch';
  constructor(message = 'This Idempotency-Key was already used with a different request body; use a new key for a new request') {
    super(message);
  }
}

/** A dependency (Redis, the Kubernetes API, Helm, Stripe) did not answer usably; trying again later may work. */
export class DependencyUnavailableError extends DomainError {
  override readonly name: string = 'DependencyUnavailableError';
  readonly kind = 'dependency_unavailable';
  /** Which dependency, as a reader would name it ("The Kubernetes API"). */
  readonly dependency: string;
  constructor(dependency: string, cause: unknown, message = `${dependency} is unavailable; try again shortly`) {
    super(message, { cause });
    this.dependency = dependency;
  }
}

/** No tenant by that id. */
export class TenantNotFoundError extends NotFoundError {
  override readonly name: string = 'TenantNotFoundError';
  readonly tenantId: string;
  constructor(tenantId: string, message = `No tenant ${tenantId}`) {
    super(message);
    this.tenantId = tenantId;
  }
}

/** The tenant's state forbids the request now, e.g. it is being removed. */
export class TenantConflictError extends ConflictError {
  override readonly name: string = 'TenantConflictError';
  readonly tenantId: string;
  /**
   * `no-switch-window`: a rollback asked of a tenant with no previous slot kept running;
   * `no-backups`: a backup asked of a tenant whose tier has none, or whose database is hibernated;
   * `restore-in-progress`: a restore asked while another is moving the tenant between databases;
   * `closed`: an operation asked of a closed account (undelete it first); `not-closed`: an undelete
   * asked of an account that is open; `no-exports`: an export asked of a tenant whose tier has no
   * backup store, whose store is not S3, or whose database sleeps (hibernated, not closed).
   */
  readonly reason: 'deprovisioning' | 'no-switch-window' | 'no-backups' | 'restore-in-progress' | 'closed' | 'not-closed' | 'no-exports';
  constructor(tenantId: string, reason: TenantConflictError['reason'], message: string) {
    super(message);
    this.tenantId = tenantId;
    this.reason = reason;
  }
}

/**
 * The preflight refused the change: it cannot be done to this tenant (shrinking a volume, a value
 * the chart rejects, a move into a trial tier, a domain another tenant uses).
 */
export class ChangeRejectedError extends ValidationError {
  override readonly name: string = 'ChangeRejectedError';
  readonly tenantId: string;
  constructor(tenantId: string, errors: FieldError[]) {
    super(`The change to tenant ${tenantId} cannot be made: ${errors.map((e) => (e.path ? `${e.path} ${e.message}` : e.message)).join('; ')}`, errors);
    this.tenantId = tenantId;
  }
}

/** No rollout by that id. */
export class RolloutNotFoundError extends NotFoundError {
  override readonly name: string = 'RolloutNotFoundError';
  constructor(rolloutId: string) {
    super(`No rollout ${rolloutId}`);
  }
}

/** The rollout's state does not allow the request (resuming one that is not paused, pausing one that ended). */
export class RolloutConflictError extends ConflictError {
  override readonly name: string = 'RolloutConflictError';
}
