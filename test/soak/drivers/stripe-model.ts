import type { TierName } from '../../../src/domain/tiers.ts';
import type { Intent } from '../ledger.ts';
import { CLOSING_TIER, SOAK_TIMINGS } from '../soak-timings.ts';

/** The soak's Stripe prices; a paid tier never moves down here, so no update is refused for shrinking a volume. */
export const SOAK_PRICES = {
  free: 'price_soak_free',
  professional: 'price_soak_professional',
  enterprise: 'price_soak_enterprise',
  /** Mapped to no tier: an add-on that must neither provision nor change a tier. */
  addon: 'price_soak_addon',
} as const;
export const PAID_TIERS = ['free', 'professional', 'enterprise'] as const satisfies readonly TierName[];

/**
 * The billing section the soak's service must run with (merged into the fleet's config, the webhook
 * secret beside it). No API key: the signed payload is the only source, so the service's decisions
 * follow the events this driver sends and the model below can predict them. Grace and retention of
 * 0 act at once, so every event's promise is due within the soak.
 */
export const SOAK_BILLING = {
  apiKey: null,
  priceTiers: { [SOAK_PRICES.free]: 'free', [SOAK_PRICES.professional]: 'professional', [SOAK_PRICES.enterprise]: 'enterprise' },
  statuses: { active: ['active', 'trialing'], pastDue: ['past_due', 'unpaid', 'paused'], cancelled: ['canceled', 'incomplete_expired'] },
  pastDueGraceHours: 0,
  cancelledRetentionDays: 0,
} as const;

/** One subscription state as an event carries it. */
export type SubscriptionEvent = { id: string; created: number; status: string; tier: TierName | null };

/**
 * What the service knows of one subscription and its tenant, advanced as the service processes the
 * events (docs/billing.md, src/billing/billing-decision.ts, for SOAK_BILLING): an event older than
 * one applied is skipped; canceled and incomplete_expired end the subscription for good; no tenant
 * is made by an unpaid subscription; a tenant being removed takes nothing more. A cancelled tenant
 * of CLOSING_TIER is closed for its window (`purgeAfter`, the earliest it can end), then purged.
 */
export type SubscriptionModel = {
  lastApplied: number | undefined;
  ended: boolean;
  tenant: { tier: TierName; hibernated: boolean } | { purgeAfter: number } | 'removed' | null;
};

const CLASS: Record<string, 'active' | 'pastDue' | 'cancelled'> = {
  active: 'active',
  trialing: 'active',
  past_due: 'pastDue',
  unpaid: 'pastDue',
  paused: 'pastDue',
  canceled: 'cancelled',
  incomplete_expired: 'cancelled',
};
const rank = (tier: TierName) => PAID_TIERS.indexOf(tier as (typeof PAID_TIERS)[number]);

export const newSubscriptionModel = (): SubscriptionModel => ({ lastApplied: undefined, ended: false, tenant: null });

/** Applies one processed event; returns the tenant's intent afterwards, or null while it has no tenant. */
export function applyEvent(model: SubscriptionModel, event: SubscriptionEvent): Intent | null {
  if (model.lastApplied !== undefined && event.created < model.lastApplied) return intentOf(model);
  model.ended ||= CLASS[event.status] === 'cancelled';
  const status = model.ended ? 'cancelled' : CLASS[event.status];
  const tenant = model.tenant;
  if (tenant === null) {
    if (status === 'active' && event.tier) model.tenant = { tier: event.tier, hibernated: false };
  } else if (tenant !== 'removed' && 'tier' in tenant) {
    if (status === 'active') {
      if (event.tier && rank(event.tier) > rank(tenant.tier)) tenant.tier = event.tier;
      tenant.hibernated = false;
    } else if (status === 'pastDue') tenant.hibernated = true;
    else if (status === 'cancelled')
      model.tenant = tenant.tier === CLOSING_TIER ? { purgeAfter: Date.now() + SOAK_TIMINGS.closedWindowSeconds * 1000 } : 'removed';
  }
  model.lastApplied = event.created;
  return intentOf(model);
}

function intentOf(model: SubscriptionModel): Intent | null {
  if (model.tenant === null) return null;
  if (model.tenant === 'removed') return { kind: 'removed' };
  if ('purgeAfter' in model.tenant) return { kind: 'closed', purgeAfter: model.tenant.purgeAfter };
  return { kind: 'present', ...model.tenant };
}
