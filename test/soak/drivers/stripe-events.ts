import type { Random } from '../seeded-random.ts';
import { newSubscriptionModel, PAID_TIERS, SOAK_PRICES, type SubscriptionEvent, type SubscriptionModel } from './stripe-model.ts';

/** One subscription's life as Stripe would tell it, and the service's state as the model follows it. */
export type Subscription = {
  index: number;
  generation: number;
  id: string;
  customer: string;
  /** Named in the subscription's `tenant_id` metadata, so billing provisions this tenant id. */
  tenantId: string;
  status: string | null;
  tier: (typeof PAID_TIERS)[number];
  lastCreated: number;
  sent: number;
  /** Ended in Stripe (canceled, incomplete_expired): no event follows. */
  finished: boolean;
  model: SubscriptionModel;
};

const hex = (rng: Random, digits: number) => Array.from({ length: digits }, () => rng.int(0, 15).toString(16)).join('');
const MAX_EVENTS = 8;

function start(rng: Random, index: number, generation: number): Subscription {
  const tag = `${index}x${generation}x${hex(rng, 8)}`;
  return {
    index,
    generation,
    id: `sub_soak${tag}`,
    customer: `cus_soak${tag}`,
    tenantId: `st${index}-${generation}-${hex(rng, 6)}`,
    status: null,
    tier: rng.pick(PAID_TIERS),
    lastCreated: 0,
    sent: 0,
    finished: false,
    model: newSubscriptionModel(),
  };
}

/**
 * The next state Stripe could move the subscription to, as a signed-ready event body. `created`
 * strictly increases per subscription (the service orders events by it). Tiers only go up: a paid
 * downgrade the service refuses (a smaller volume) would make the outcome depend on its preflight.
 */
function next(rng: Random, sub: Subscription): { event: SubscriptionEvent; body: string } {
  let status: string;
  if (sub.status === null) status = rng.pick(['active', 'active', 'trialing', 'incomplete']);
  else if (sub.status === 'incomplete') status = rng.pick(['active', 'incomplete_expired']);
  else if (sub.sent >= MAX_EVENTS - 1) status = 'canceled';
  else status = rng.pick(['active', 'active', 'trialing', 'past_due', 'unpaid', 'paused', 'canceled']);
  const rank = PAID_TIERS.indexOf(sub.tier);
  if (sub.status !== null && rank < PAID_TIERS.length - 1 && rng.chance(0.3)) sub.tier = PAID_TIERS[rank + 1]!;
  const addon = rng.chance(0.25);
  // An add-on alone maps to no tier: it neither provisions nor changes one.
  const prices = addon && rng.chance(0.3) ? [SOAK_PRICES.addon] : [SOAK_PRICES[sub.tier], ...(addon ? [SOAK_PRICES.addon] : [])];
  const created = Math.max(sub.lastCreated + 1, Math.floor(Date.now() / 1000));
  const first = sub.status === null;
  Object.assign(sub, { status, lastCreated: created, sent: sub.sent + 1, finished: status === 'canceled' || status === 'incomplete_expired' });
  const type = first
    ? 'customer.subscription.created'
    : status === 'canceled'
      ? 'customer.subscription.deleted'
      : status === 'paused'
        ? 'customer.subscription.paused'
        : 'customer.subscription.updated';
  const id = `evt_soak${sub.index}x${sub.generation}x${sub.sent}x${hex(rng, 8)}`;
  const object = {
    object: 'subscription',
    id: sub.id,
    customer: sub.customer,
    status,
    items: { object: 'list', data: prices.map((price, i) => ({ id: `si_${i}`, object: 'subscription_item', price: { id: price, object: 'price' } })) },
    metadata: {
      company_name: `Soak Billing ${sub.index}`,
      owner_email: `billing${sub.index}@soak.example`,
      owner_first_name: 'Soak',
      owner_last_name: `Billing ${sub.index}`,
      tenant_id: sub.tenantId,
    },
    livemode: false,
  };
  const tier = prices.includes(SOAK_PRICES.addon) && prices.length === 1 ? null : sub.tier;
  const body = JSON.stringify({ id, object: 'event', type, created, data: { object }, livemode: false, api_version: '2026-09-30.endive' });
  return { event: { id, created, status, tier }, body };
}

export const subscriptionEvent = { start, next };
