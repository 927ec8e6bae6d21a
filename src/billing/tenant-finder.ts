import type { TenantRecord } from '../domain/tenant-record.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';

/**
 * Which tenant a Stripe subscription is about. Stripe ids live in namespace annotations, which no
 * selector can match, so this walks the managed namespaces: the subscription's own tenant wins
 * (the walk stops there); else the customer's oldest tenant without a subscription (the demo a
 * first payment upgrades); else undefined.
 */
export function createTenantFinder(tenants: Pick<TenantStore, 'all'>) {
  return async function findTenantByStripeIds(customerId: string, subscriptionId: string): Promise<TenantRecord | undefined> {
    let unsubscribed: TenantRecord | undefined;
    for await (const tenant of tenants.all()) {
      if (tenant.stripeSubscriptionId === subscriptionId) return tenant;
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
