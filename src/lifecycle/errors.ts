import type { FieldError } from '../domain/field-error.ts';

/** No tenant by that id (HTTP 404). */
export class TenantNotFoundError extends Error {
  readonly tenantId: string;
  constructor(tenantId: string) {
    super(`No tenant ${tenantId}`);
    this.name = 'TenantNotFoundError';
    this.tenantId = tenantId;
  }
}

/** The tenant's state forbids the request now, e.g. it is being removed (HTTP 409). */
export class TenantConflictError extends Error {
  readonly tenantId: string;
  readonly reason: 'deprovisioning';
  constructor(tenantId: string, reason: TenantConflictError['reason'], detail: string) {
    super(detail);
    this.name = 'TenantConflictError';
    this.tenantId = tenantId;
    this.reason = reason;
  }
}

/**
 * The preflight refused the change: it cannot be done to this tenant (shrinking a volume, a value
 * the chart rejects, a move into a trial tier, a domain another tenant uses). HTTP 422 with `errors`.
 */
export class ChangeRejectedError extends Error {
  readonly tenantId: string;
  readonly errors: FieldError[];
  constructor(tenantId: string, errors: FieldError[]) {
    super(`The change to tenant ${tenantId} cannot be made: ${errors.map((e) => (e.path ? `${e.path} ${e.message}` : e.message)).join('; ')}`);
    this.name = 'ChangeRejectedError';
    this.tenantId = tenantId;
    this.errors = errors;
  }
}
