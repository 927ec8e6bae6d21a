import type { TenantRecord } from '../domain/tenant-record.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';

/**
 * Which tenant a Stripe subscription is about: the subscription's own tenant; else the customer's
 * oldest tenant without a subscription (the demo a first payment upgrades); else undefined. Each
 * question is one label-selected list (the index labels of tenant-index.ts), however many tenants
 * there are.
 */
export function createTenantFinder(tenants: Pick<TenantStore, 'findBy'>) {
  return async function findTenantByStripeIds(customerId: string, subscriptionId: string): Promise<TenantRecord | undefined> {
    const subscribed = (await tenants.findBy('stripeSubscriptionId', subscriptionId)).find((t) => t.stripeSubscriptionId === subscriptionId);
    if (subscribed) return subscribed;
    let unsubscribed: TenantRecord | undefined;
    for (const tenant of await tenants.findBy('stripeCustomerId', customerId)) {
      // The oldest such tenant, should a customer hold several demos.
      if (
        tenant.stripeCustomerId === customerId &&
        tenant.stripeSubscriptionId === null &&
        !tenant.terminating &&
        (!unsubscribed || tenant.createdAt < unsubscribed.createdAt)
      )
        unsubscribed = tenant;
    }
    return unsubscribed;
  };
}
