import type { BillingActions } from '../../../../src/billing/billing-actions.ts';
import type { TenantRecord } from '../../../../src/domain/tenant-record.ts';
import { tenantRecord } from './fixtures.ts';

export type ActionCall = { action: Exclude<keyof BillingActions, 'findTenantByStripeIds'>; tenantId?: string; args: unknown };

/**
 * BillingActions over an in-memory tenant table: each call is recorded and its effect on the tenant's
 * desired state applied, as the real intake records intent before queueing. Scheduled actions are only
 * recorded (the queue runs them later).
 */
export class FakeActions implements BillingActions {
  readonly tenants = new Map<string, TenantRecord>();
  readonly calls: ActionCall[] = [];
  /** Makes the next call to this action throw, as an unreachable queue would. */
  failNext: ActionCall['action'] | undefined;

  called(action: ActionCall['action']): ActionCall[] {
    return this.calls.filter((call) => call.action === action);
  }

  private record(call: ActionCall): void {
    if (this.failNext === call.action) {
      this.failNext = undefined;
      throw new Error(`${call.action} failed`);
    }
    this.calls.push(call);
  }

  private patch(tenantId: string, change: (t: TenantRecord) => TenantRecord): void {
    const tenant = this.tenants.get(tenantId);
    if (tenant) this.tenants.set(tenantId, change(tenant));
  }

  async findTenantByStripeIds(customerId: string, subscriptionId: string) {
    const all = [...this.tenants.values()];
    return all.find((t) => t.stripeSubscriptionId === subscriptionId)
      ?? all.find((t) => t.stripeCustomerId === customerId && t.stripeSubscriptionId === null);
  }

  async provision(input: Parameters<BillingActions['provision']>[0]) {
    this.record({ action: 'provision', args: input });
    const tenantId = input.tenantId ?? `t${this.tenants.size + 1}`;
    this.tenants.set(tenantId, tenantRecord({
      tenantId, tier: input.subscriptionTier, stripeCustomerId: input.stripeCustomerId, stripeSubscriptionId: input.stripeSubscriptionId,
    }));
  }

  async linkSubscription(tenantId: string, ids: { customerId: string; subscriptionId: string }) {
    this.record({ action: 'linkSubscription', tenantId, args: ids });
    this.patch(tenantId, (t) => ({ ...t, stripeCustomerId: ids.customerId, stripeSubscriptionId: ids.subscriptionId }));
  }

  async update(tenantId: string, change: Parameters<BillingActions['update']>[1]) {
    this.record({ action: 'update', tenantId, args: change });
    this.patch(tenantId, (t) => ({ ...t, expiresAt: change.clearExpiry ? null : t.expiresAt, desired: { ...t.desired, tier: change.tier } }));
  }

  async hibernate(tenantId: string, options: Parameters<BillingActions['hibernate']>[1]) {
    this.record({ action: 'hibernate', tenantId, args: options });
    if (!options.schedule) this.patch(tenantId, (t) => ({ ...t, desired: { ...t.desired, hibernated: true } }));
  }

  async resume(tenantId: string) {
    this.record({ action: 'resume', tenantId, args: undefined });
    this.patch(tenantId, (t) => ({ ...t, desired: { ...t.desired, hibernated: false } }));
  }

  async deprovision(tenantId: string, options: Parameters<BillingActions['deprovision']>[1]) {
    this.record({ action: 'deprovision', tenantId, args: options });
  }

  async cancelScheduled(tenantId: string, keys: readonly string[]) {
    this.record({ action: 'cancelScheduled', tenantId, args: keys });
  }

  /** Calls that change a tenant (cancelling a schedule that may not exist does not count). */
  get effective(): ActionCall[] {
    return this.calls.filter((call) => call.action !== 'cancelScheduled');
  }
}
