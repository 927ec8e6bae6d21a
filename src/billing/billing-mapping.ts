import { TIER_NAMES, type TierName, type TiersConfig } from '../domain/tiers.ts';
import type { BillingConfig } from './billing-config.schema.ts';

/** What a subscription status means for its tenant. */
export type StatusClass = 'active' | 'pastDue' | 'cancelled' | 'other';

/** Everything the decision needs from configuration, in the shape it needs it. */
export type BillingMapping = {
  priceTiers: Readonly<Record<string, TierName>>;
  statuses: Readonly<Record<Exclude<StatusClass, 'other'>, readonly string[]>>;
  pastDueGraceMs: number;
  cancelledRetentionMs: number;
  /** Tiers whose tenants expire (demo): leaving one for a tier that does not clears the expiry. */
  expiringTiers: ReadonlySet<TierName>;
};

const HOUR_MS = 3_600_000;

export function billingMapping(billing: BillingConfig, tiers: TiersConfig): BillingMapping {
  return {
    priceTiers: billing.priceTiers,
    statuses: billing.statuses,
    pastDueGraceMs: billing.pastDueGraceHours * HOUR_MS,
    cancelledRetentionMs: billing.cancelledRetentionDays * 24 * HOUR_MS,
    expiringTiers: new Set(TIER_NAMES.filter((tier) => tiers[tier].expiresAfterDays !== null)),
  };
}

export function classifyStatus(status: string, mapping: BillingMapping): StatusClass {
  for (const key of ['active', 'pastDue', 'cancelled'] as const) {
    if (mapping.statuses[key].includes(status)) return key;
  }
  return 'other';
}

/**
 * The tier a subscription pays for: the highest tier among its mapped prices (an add-on price next to
 * the plan must not downgrade it), or undefined when none of its prices is mapped.
 */
export function tierForPrices(priceIds: readonly string[], mapping: BillingMapping): TierName | undefined {
  let best: TierName | undefined;
  for (const priceId of priceIds) {
    const tier = Object.hasOwn(mapping.priceTiers, priceId) ? mapping.priceTiers[priceId] : undefined;
    if (tier !== undefined && (best === undefined || TIER_NAMES.indexOf(tier) > TIER_NAMES.indexOf(best))) best = tier;
  }
  return best;
}
