import type { Logger } from 'pino';
import { ChangeRejectedError, TenantConflictError, TenantNotFoundError } from '../domain/errors.ts';
import { requestDeprovision, requestHibernate, requestResume, requestUpdate, type LifecycleDeps } from '../lifecycle/intake.ts';
import type { LifecycleIntake } from './lifecycle-intake-port.ts';

/**
 * The lifecycle intake as billing's port. A tenant that is gone or being removed needs nothing
 * more; a change the preflight refuses (a downgrade whose smaller volume would shrink the
 * database) cannot be fixed by Stripe redelivering, so it is logged for an operator, not retried.
 */
export function bindLifecycleIntake(deps: LifecycleDeps, logger: Logger): LifecycleIntake {
  const settle = async (tenantId: string, operation: string, work: Promise<unknown>) => {
    try {
      return await work;
    } catch (error) {
      if (error instanceof TenantNotFoundError || error instanceof TenantConflictError) return undefined;
      if (error instanceof ChangeRejectedError) {
        logger.error({ tenantId, operation, errors: error.errors }, 'billing: the lifecycle refused the change; an operator must decide');
        return undefined;
      }
      throw error;
    }
  };
  return {
    update: (tenantId, change, options) => settle(tenantId, 'update', requestUpdate(deps, tenantId, change, options)),
    hibernate: (tenantId, options) => settle(tenantId, 'hibernate', requestHibernate(deps, tenantId, options)),
    resume: (tenantId, options) => settle(tenantId, 'resume', requestResume(deps, tenantId, options)),
    deprovision: (tenantId, options) => settle(tenantId, 'deprovision', requestDeprovision(deps, tenantId, options)),
  };
}
