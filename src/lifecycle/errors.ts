import { ConflictError } from '../domain/errors.ts';

/**
 * The condition a request was decided on no longer holds when it would be recorded or acted on:
 * an expiry sweep listed a tenant as expired, and by the time it asked, the tenant had paid.
 */
export class IntentLapsedError extends ConflictError {
  override readonly name: string = 'IntentLapsedError';
  readonly tenantId: string;
  constructor(tenantId: string, why: string) {
    super(`The request for tenant ${tenantId} no longer applies: ${why}`);
    this.tenantId = tenantId;
  }
}
