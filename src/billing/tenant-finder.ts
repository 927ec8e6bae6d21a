import type { TenantRecord } from '../domain/tenant-record.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';

const PAGE = 200;

/**
 * `findTenantByStripeIds` over the registry. Stripe ids live in namespace annotations, which no
 * selector can match, so this pages through the managed namespaces: the subscription's own tenant
 * wins; else the customer's tenant without a subscription (the demo a first payment upgrades).
 */
export function createTenantFinder(registry: Pick<TenantStore, 'list'>) {
  return async function findTenantByStripeIds(customerId: string, subscriptionId: string): Promise<TenantRecord | undefined> {
    let unsubscribed: TenantRecord | undefined;
    let cursor: string | undefined;
    do {
      const page = await registry.list({ limit: PAGE, continue: cursor });
      for (const tenant of page.items) {
        if (tenant.stripeSubscriptionId === subscriptionId) return tenant;
        // The oldest such tenant, should a customer hold several demos.
        if (tenant.stripeCustomerId === customerId && tenant.stripeSubscriptionId === null && !tenant.terminating
          && (!unsubscribed || tenant.createdAt < unsubscribed.createdAt)) unsubscribed = tenant;
      }
      cursor = page.continue;
    } while (cursor !== undefined);
    return unsubscribed;
  };
}
