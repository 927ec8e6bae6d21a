import type { Logger } from 'pino';
import type { TenantRecord } from '../domain/tenant-record.ts';
import type { TierName } from '../domain/tiers.ts';
import type { HibernateReason, Schedule } from './billing-decision.ts';
import type { BillingProvisionInput } from './customer-profile.ts';

/** Who asks, for logs and job metadata: the Stripe event being handled. */
export type BillingContext = { eventId: string; logger: Logger };

/**
 * What billing needs from the tenant lifecycle. Every method records the intent durably (the
 * tenant's namespace and/or a queued job) before it resolves, and is safe to call again with the same
 * arguments: billing decides again after any failure rather than remembering how far it got.
 * Throw to make Stripe redeliver the event later (the webhook answers 5xx).
 */
export interface BillingActions {
  /**
   * The tenant whose subscription annotation is `subscriptionId`; else the customer's tenant that has
   * no subscription yet (a demo to upgrade in place); else undefined.
   */
  findTenantByStripeIds(customerId: string, subscriptionId: string): Promise<TenantRecord | undefined>;
  /** Records a new tenant and queues its provision job, as `POST /api/provisioning/provision` does. */
  provision(input: BillingProvisionInput, context: BillingContext): Promise<void>;
  /** Writes the Stripe customer and subscription ids onto the tenant (its namespace annotations). */
  linkSubscription(tenantId: string, ids: { customerId: string; subscriptionId: string }, context: BillingContext): Promise<void>;
  /** Changes the tier in place; `clearExpiry` removes a trial's expiry (demo → paid). */
  update(tenantId: string, change: { tier: TierName; clearExpiry: boolean }, context: BillingContext): Promise<void>;
  /**
   * Hibernates now, or with a schedule, not before `notBefore`: at most one pending action per key
   * (scheduling a key that is still pending changes nothing; a finished one may be scheduled anew).
   */
  hibernate(tenantId: string, options: { reason: HibernateReason; schedule: Schedule | null }, context: BillingContext): Promise<void>;
  resume(tenantId: string, context: BillingContext): Promise<void>;
  /** Removes the tenant not before `schedule.notBefore`, with the same per-key rule as hibernate. */
  deprovision(tenantId: string, options: { schedule: Schedule }, context: BillingContext): Promise<void>;
  /** Drops scheduled actions with these keys that have not started; absent keys are fine. */
  cancelScheduled(tenantId: string, keys: readonly string[], context: BillingContext): Promise<void>;
}
