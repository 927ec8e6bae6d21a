import type { TenantRecord } from '../domain/tenant-record.ts';
import type { TierName } from '../domain/tiers.ts';
import { classifyStatus, tierForPrices, type BillingMapping } from './billing-mapping.ts';
import type { SubscriptionSnapshot } from './subscription-snapshot.ts';

/** A delayed action: not run before `notBefore`, and at most one pending per `key`. */
export type Schedule = { notBefore: Date; key: string };
export type HibernateReason = 'payment-past-due' | 'subscription-cancelled';

/** One thing billing asks of the tenant lifecycle; `BillingActions` carries each one out. */
export type BillingStep =
  | { type: 'provision'; tier: TierName; customerId: string; subscriptionId: string }
  | { type: 'link'; tenantId: string; customerId: string; subscriptionId: string }
  | { type: 'cancel-scheduled'; tenantId: string; keys: string[] }
  | { type: 'update'; tenantId: string; tier: TierName; clearExpiry: boolean }
  | { type: 'resume'; tenantId: string }
  | { type: 'hibernate'; tenantId: string; reason: HibernateReason; schedule: Schedule | null }
  | { type: 'deprovision'; tenantId: string; schedule: Schedule };

export type BillingDecision = { steps: BillingStep[]; reason: string };

/** Deterministic keys, so a redelivered or re-fetched state schedules nothing twice. */
export const scheduleKeys = {
  grace: (tenantId: string) => `billing-grace-${tenantId}`,
  retention: (tenantId: string) => `billing-retention-${tenantId}`,
};

const nothing = (reason: string): BillingDecision => ({ steps: [], reason });

function beingRemoved(tenant: TenantRecord): boolean {
  const op = tenant.operation;
  return tenant.terminating || (op?.type === 'deprovision' && (op.state === 'queued' || op.state === 'active'));
}

/**
 * What the tenant should go through, given the subscription as it is now (not as some event said it
 * was). Pure: the same tenant, subscription and mapping always give the same steps, so deciding
 * again after a crash or a redelivery converges instead of repeating work.
 */
export function decide(tenant: TenantRecord | undefined, subscription: SubscriptionSnapshot, mapping: BillingMapping, now: Date): BillingDecision {
  const status = classifyStatus(subscription.status, mapping);
  const tier = tierForPrices(subscription.priceIds, mapping);
  const { id: subscriptionId, customerId } = subscription;

  if (!tenant) {
    if (status !== 'active') return nothing(`no tenant, and a ${subscription.status} subscription does not provision one`);
    if (!tier) return nothing(`no tenant, and none of the prices [${subscription.priceIds.join(', ')}] maps to a tier`);
    return { steps: [{ type: 'provision', tier, customerId, subscriptionId }], reason: `${subscription.status} ${tier} subscription has no tenant` };
  }
  const tenantId = tenant.tenantId;
  if (beingRemoved(tenant)) return nothing(`tenant ${tenantId} is being removed`);
  if ((tenant.stripeSubscriptionId ?? subscriptionId) !== subscriptionId || (tenant.stripeCustomerId ?? customerId) !== customerId) {
    return nothing(`tenant ${tenantId} belongs to another subscription or customer`);
  }
  const linked = tenant.stripeSubscriptionId === subscriptionId;
  // A tenant found by customer alone (a demo) is claimed only by a paid-up subscription.
  if (!linked && status !== 'active') return nothing(`tenant ${tenantId} is not linked to this ${subscription.status} subscription`);

  switch (status) {
    case 'active': {
      const steps: BillingStep[] = [];
      const reasons: string[] = [];
      if (!linked || tenant.stripeCustomerId !== customerId) {
        steps.push({ type: 'link', tenantId, customerId, subscriptionId });
        reasons.push('link subscription');
      }
      // A payment that arrived within the grace period must stop the pending hibernation.
      steps.push({ type: 'cancel-scheduled', tenantId, keys: [scheduleKeys.grace(tenantId)] });
      if (tier && tier !== tenant.desired.tier && mapping.expiringTiers.has(tier)) {
        // An expiry is stamped once at provision; the lifecycle refuses moves into a trial tier.
        reasons.push(`${tier} is a trial tier, tier unchanged`);
      } else if (tier && tier !== tenant.desired.tier) {
        const clearExpiry = tenant.expiresAt !== null;
        steps.push({ type: 'update', tenantId, tier, clearExpiry });
        reasons.push(`${tenant.desired.tier} → ${tier}${clearExpiry ? ', expiry cleared' : ''}`);
      } else if (!tier) {
        reasons.push('prices map to no tier, tier unchanged');
      }
      if (tenant.desired.hibernated) {
        steps.push({ type: 'resume', tenantId });
        reasons.push('resume');
      }
      return { steps, reason: `active: ${reasons.join('; ') || 'in sync'}` };
    }
    case 'pastDue':
      if (tenant.desired.hibernated) return nothing(`${subscription.status}: tenant ${tenantId} is already hibernated`);
      return {
        steps: [
          {
            type: 'hibernate',
            tenantId,
            reason: 'payment-past-due',
            schedule: { notBefore: new Date(now.getTime() + mapping.pastDueGraceMs), key: scheduleKeys.grace(tenantId) },
          },
        ],
        reason: `${subscription.status}: hibernate after the grace period`,
      };
    case 'cancelled': {
      const steps: BillingStep[] = [];
      if (!tenant.desired.hibernated) steps.push({ type: 'hibernate', tenantId, reason: 'subscription-cancelled', schedule: null });
      steps.push({
        type: 'deprovision',
        tenantId,
        schedule: { notBefore: new Date(now.getTime() + mapping.cancelledRetentionMs), key: scheduleKeys.retention(tenantId) },
      });
      return { steps, reason: `${subscription.status}: hibernate now, deprovision after the retention period` };
    }
    default:
      return nothing(`${subscription.status} changes nothing`);
  }
}
