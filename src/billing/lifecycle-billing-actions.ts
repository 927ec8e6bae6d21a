import type { TenantStore } from '../kubernetes/tenant-store.ts';
import type { Accepted, CallContext } from '../services/provisioning-service.ts';
import { recordStripeIds } from '../lifecycle/intake.ts';
import type { BillingActions } from './billing-actions.ts';
import type { BillingSchedules } from './billing-schedules.ts';
import type { LifecycleIntake } from './lifecycle-intake-port.ts';
import { createTenantFinder } from './tenant-finder.ts';

export type LifecycleBillingDeps = {
  registry: Pick<TenantStore, 'list' | 'read' | 'write'>;
  /** The API's provisioning service: the same intake as `POST /api/provisioning/provision`. */
  provisioning: { provision(request: Parameters<BillingActions['provision']>[0], context: CallContext): Promise<Accepted> };
  intake: LifecycleIntake;
  schedules: Pick<BillingSchedules, 'schedule' | 'cancel'>;
  now?: () => Date;
};

/** The caller billing acts as, for idempotency keys and logs. */
export const BILLING_SUBJECT = 'stripe-billing';

/**
 * BillingActions over the real intake. Operation job ids derive from the Stripe event id, so a
 * redelivery of an event whose first attempt failed half-way asks for the same jobs, not new ones.
 * A schedule whose time has come (grace or retention of zero) runs at once instead of waiting.
 */
export function createLifecycleBillingActions(deps: LifecycleBillingDeps): BillingActions {
  const now = deps.now ?? (() => new Date());
  const jobId = (eventId: string, step: string, tenantId: string) => ({ jobId: `billing-${step}-${tenantId}-${eventId}` });

  return {
    findTenantByStripeIds: createTenantFinder(deps.registry),
    async provision(input, context) {
      const { accepted } = await deps.provisioning.provision(input, {
        subject: BILLING_SUBJECT, logger: context.logger, idempotencyKey: `billing-provision-${context.eventId}`,
      });
      context.logger.info({ tenantId: accepted.tenantId, jobId: accepted.jobId }, 'billing: provision queued');
    },
    async linkSubscription(tenantId, ids) {
      await recordStripeIds({ tenants: deps.registry }, tenantId, ids);
    },
    async update(tenantId, change, context) {
      // clearExpiry is implied: the lifecycle's update plan clears it when a trial tier is left.
      await deps.intake.update(tenantId, { subscriptionTier: change.tier }, jobId(context.eventId, 'update', tenantId));
    },
    async hibernate(tenantId, { reason, schedule }, context) {
      if (schedule && schedule.notBefore > now()) {
        await deps.schedules.schedule(schedule.key, { action: 'hibernate', tenantId, reason }, schedule.notBefore);
      } else {
        await deps.intake.hibernate(tenantId, jobId(context.eventId, 'hibernate', tenantId));
      }
    },
    async resume(tenantId, context) {
      await deps.intake.resume(tenantId, jobId(context.eventId, 'resume', tenantId));
    },
    async deprovision(tenantId, { schedule }, context) {
      if (schedule.notBefore > now()) {
        await deps.schedules.schedule(schedule.key, { action: 'deprovision', tenantId, reason: 'subscription-cancelled' }, schedule.notBefore);
      } else {
        await deps.intake.deprovision(tenantId, jobId(context.eventId, 'deprovision', tenantId));
      }
    },
    async cancelScheduled(_tenantId, keys) {
      await deps.schedules.cancel(keys);
    },
  };
}
