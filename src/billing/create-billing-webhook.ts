import type { Config } from '../config/config.schema.ts';
import type { BillingLifecycleDeps } from './billing-intake.ts';
import { billingMapping } from './billing-mapping.ts';
import type { BillingSchedules } from './billing-schedules.ts';
import { createEventLedger, type BillingRedis } from './event-ledger.ts';
import { createStripeApi, type StripeApi } from './stripe-api.ts';
import { createStripeWebhook, type StripeWebhook } from './stripe-webhook.ts';
import { createSubscriptionLedger, type SubscriptionLedger } from './subscription-ledger.ts';
import { createSubscriptionLocks } from './subscription-lock.ts';
import { createSubscriptionProcessor } from './subscription-processor.ts';

type BillingSettings = Pick<Config, 'billing' | 'tiers' | 'queue'>;

export type BillingWebhookDeps = {
  config: BillingSettings;
  /** The API's fail-fast connection: a Redis outage answers 503 and Stripe redelivers. */
  redis: BillingRedis;
  /** The lifecycle core, called directly for every step a subscription event decides. */
  lifecycle: BillingLifecycleDeps;
  /** Billing's delayed actions (grace, retention). */
  schedules: Pick<BillingSchedules, 'schedule' | 'cancel'>;
  /** Defaults to the official SDK when `billing.apiKey` is set, else null (payload only). */
  api?: StripeApi | null;
  now?: () => Date;
};

const DAY_SECONDS = 86_400;

/** The Stripe API from configuration: null without an API key. */
export function stripeApiFromConfig(billing: Config['billing']): StripeApi | null {
  return billing.apiKey === null ? null : createStripeApi({ apiKey: billing.apiKey, apiBase: billing.apiBase });
}

/** What billing remembers per subscription; the webhook and the scheduled-action worker share it. */
export function subscriptionLedgerFor(config: BillingSettings, redis: BillingRedis): SubscriptionLedger {
  const { billing } = config;
  return createSubscriptionLedger(redis, {
    prefix: `${config.queue.prefix}:billing:subscription`,
    // Past the retention period and Stripe's 30-day event history: no stored event can resurrect it.
    ttlSeconds: (Math.max(billing.cancelledRetentionDays, billing.eventRetentionDays) + 30) * DAY_SECONDS,
  });
}

/** Builds the webhook from configuration; null when no webhook secret is configured (billing off). */
export function createBillingWebhook(deps: BillingWebhookDeps): StripeWebhook | null {
  const { config } = deps;
  const { billing } = config;
  if (billing.webhookSecret === null) return null;
  const prefix = `${config.queue.prefix}:billing`;
  const process = createSubscriptionProcessor({
    mapping: billingMapping(billing, config.tiers),
    lifecycle: deps.lifecycle,
    schedules: deps.schedules,
    api: deps.api !== undefined ? deps.api : stripeApiFromConfig(billing),
    ledger: subscriptionLedgerFor(config, deps.redis),
    locks: createSubscriptionLocks(deps.redis, { prefix: `${prefix}:lock` }),
    now: deps.now ?? (() => new Date()),
  });
  return createStripeWebhook({
    secret: billing.webhookSecret,
    toleranceSeconds: billing.signatureToleranceSeconds,
    events: createEventLedger(deps.redis, { prefix: `${prefix}:event`, retentionSeconds: billing.eventRetentionDays * DAY_SECONDS }),
    process,
  });
}
