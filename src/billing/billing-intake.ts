import type { Logger } from 'pino';
import { ChangeRejectedError, TenantConflictError, TenantNotFoundError } from '../domain/errors.ts';
import { IntentLapsedError } from '../lifecycle/errors.ts';
import { recordStripeIds, requestDeprovision, requestHibernate, requestResume, requestUpdate, type LifecycleDeps } from '../lifecycle/intake.ts';
import { requestProvision, type ProvisionIntakeDeps } from '../lifecycle/provision-intake.ts';
import { keyedPlan } from '../services/provisioning-service.ts';
import type { BillingStep, Schedule } from './billing-decision.ts';
import type { BillingSchedules } from './billing-schedules.ts';
import type { BillingProvisionInput } from './customer-profile.ts';

/** Who asks: the Stripe event being handled. Job ids derive from its id; refusals are logged on its logger. */
export type BillingContext = { eventId: string; logger: Logger };

/** The lifecycle core as billing calls it: every intake, provision included. */
export type BillingLifecycleDeps = LifecycleDeps & ProvisionIntakeDeps;

export type BillingIntakeDeps = {
  lifecycle: BillingLifecycleDeps;
  schedules: Pick<BillingSchedules, 'schedule' | 'cancel'>;
  now: () => Date;
};

/** Builds the provision request for a provision step, or undefined when the customer lacks what it needs. */
export type ProvisionInputSource = (step: Extract<BillingStep, { type: 'provision' }>) => Promise<BillingProvisionInput | undefined>;

// With the event id, the scope of a provision's plan: the same ids the API's Idempotency-Key path
// derived for billing before it called the core directly, so an event in flight across an upgrade
// still finds its own tenant.
const PLAN_SCOPE = 'stripe-billing';

/**
 * What billing makes of the core's refusals. A tenant that is gone or being removed, or a request
 * whose premise lapsed, needs nothing more. A change the preflight refuses (a downgrade whose
 * smaller volume would shrink the database) cannot be fixed by Stripe redelivering, so it is logged
 * for an operator, not retried. Anything else is thrown: the webhook answers 5xx and Stripe retries.
 */
export async function settle<T>(logger: Logger, tenantId: string, operation: string, work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof TenantNotFoundError || error instanceof TenantConflictError || error instanceof IntentLapsedError) return undefined;
    if (error instanceof ChangeRejectedError) {
      logger.error({ tenantId, operation, errors: error.errors }, 'billing: the lifecycle refused the change; an operator must decide');
      return undefined;
    }
    throw error;
  }
}

/**
 * Carries out a decision's steps in order (update before resume, hibernate before deprovision, as
 * `decide` lists them) by calling the lifecycle core. Stops at the first failure: the event is then
 * released and redelivered, and deciding again from the recorded state skips what already happened.
 * Job ids derive from the event id, so a redelivery asks for the same jobs (BullMQ ignores a second
 * add), and a provision's tenant id too, so a retry after an unknown outcome finds its own tenant.
 * A schedule whose time has come (grace or retention of zero) runs at once. Returns the steps taken.
 */
export async function applySteps(
  deps: BillingIntakeDeps,
  steps: readonly BillingStep[],
  provisionInput: ProvisionInputSource,
  context: BillingContext,
): Promise<BillingStep['type'][]> {
  const { lifecycle, schedules } = deps;
  const { eventId, logger } = context;
  const options = (operation: string, tenantId: string) => ({ jobId: `billing-${operation}-${tenantId}-${eventId}`, reason: 'billing' as const });
  const later = (schedule: Schedule | null): schedule is Schedule => schedule !== null && schedule.notBefore > deps.now();
  const taken: BillingStep['type'][] = [];
  for (const step of steps) {
    switch (step.type) {
      case 'provision': {
        const input = await provisionInput(step);
        if (!input) continue;
        const accepted = await requestProvision(lifecycle, input, keyedPlan(input, PLAN_SCOPE, `billing-provision-${eventId}`), 'billing');
        logger.info({ tenantId: accepted.tenantId, jobId: accepted.jobId, replayed: accepted.replayed }, 'billing: provision queued');
        break;
      }
      case 'link':
        await settle(
          logger,
          step.tenantId,
          'link',
          recordStripeIds(lifecycle, step.tenantId, { customerId: step.customerId, subscriptionId: step.subscriptionId }),
        );
        break;
      case 'cancel-scheduled':
        await schedules.cancel(step.keys);
        break;
      case 'update':
        // clearExpiry needs no argument: the core's update plan clears the expiry when a trial tier is left.
        await settle(
          logger,
          step.tenantId,
          'update',
          requestUpdate(lifecycle, step.tenantId, { subscriptionTier: step.tier }, options('update', step.tenantId)),
        );
        break;
      case 'resume':
        await settle(logger, step.tenantId, 'resume', requestResume(lifecycle, step.tenantId, options('resume', step.tenantId)));
        break;
      case 'hibernate':
        if (later(step.schedule)) {
          await schedules.schedule(step.schedule.key, { action: 'hibernate', tenantId: step.tenantId, reason: step.reason }, step.schedule.notBefore);
        } else {
          await settle(logger, step.tenantId, 'hibernate', requestHibernate(lifecycle, step.tenantId, options('hibernate', step.tenantId)));
        }
        break;
      case 'deprovision':
        if (later(step.schedule)) {
          await schedules.schedule(
            step.schedule.key,
            { action: 'deprovision', tenantId: step.tenantId, reason: 'subscription-cancelled' },
            step.schedule.notBefore,
          );
        } else {
          await settle(logger, step.tenantId, 'deprovision', requestDeprovision(lifecycle, step.tenantId, options('deprovision', step.tenantId)));
        }
        break;
    }
    taken.push(step.type);
  }
  return taken;
}
