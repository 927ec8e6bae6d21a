import type { Config } from '../config/config.schema.ts';
import type { BillingActions } from './billing-actions.ts';
import { billingMapping } from './billing-mapping.ts';
import { createEventLedger, type BillingRedis } from './event-ledger.ts';
import { createStripeApi, type StripeApi } from './stripe-api.ts';
import { createStripeWebhook, type StripeWebhook } from './stripe-webhook.ts';
import { createSubscriptionLedger } from './subscription-ledger.ts';
import { createSubscriptionLocks } from './subscription-lock.ts';
import { createSubscriptionProcessor } from './subscription-processor.ts';

export type BillingWebhookDeps = {
  config: Pick<Config, 'billing' | 'tiers' | 'queue'>;
  /** The API's fail-fast connection: a Redis outage answers 503 and Stripe redelivers. */
  redis: BillingRedis;
  actions: BillingActions;
  /** Defaults to the official SDK when `billing.apiKey` is set, else null (payload only). */
  api?: StripeApi | null;
  now?: () => Date;
};

const DAY_SECONDS = 86_400;

/** Builds the webhook from configuration; null when no webhook secret is configured (billing off). */
export function createBillingWebhook(deps: BillingWebhookDeps): StripeWebhook | null {
  const { billing, tiers, queue } = deps.config;
  if (billing.webhookSecret === null) return null;
  const api = deps.api !== undefined ? deps.api
    : billing.apiKey === null ? null : createStripeApi({ apiKey: billing.apiKey, apiBase: billing.apiBase });
  const prefix = `${queue.prefix}:billing`;
  const process = createSubscriptionProcessor({
    mapping: billingMapping(billing, tiers),
    actions: deps.actions,
    api,
    // Ended subscriptions are remembered past the retention period and Stripe's 30-day event history.
    ledger: createSubscriptionLedger(deps.redis, {
      prefix: `${prefix}:subscription`,
      ttlSeconds: (Math.max(billing.cancelledRetentionDays, billing.eventRetentionDays) + 30) * DAY_SECONDS,
    }),
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
