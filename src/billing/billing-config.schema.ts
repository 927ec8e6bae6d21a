import { z } from 'zod';
import { TierName } from '../domain/tiers.ts';

/** Every subscription status Stripe documents; config lists are checked against it to catch typos. */
export const SUBSCRIPTION_STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;
const SubscriptionStatus = z.enum(SUBSCRIPTION_STATUSES);

const statusList = (what: string) => z.array(SubscriptionStatus).describe(what);

/**
 * Stripe billing: how webhooks are verified, where subscriptions are read from, and how a
 * subscription's price and status map onto a tenant. Optional as a whole: without a webhook secret
 * the webhook answers 503 and nothing else changes.
 */
export const BillingConfig = z
  .strictObject({
    webhookSecret: z
      .string()
      .min(1)
      .nullable()
      .describe('Signing secret of the Stripe webhook endpoint, whsec_… (STRIPE_WEBHOOK_SECRET); null turns the webhook off (503)'),
    apiKey: z
      .string()
      .min(1)
      .nullable()
      .describe('Stripe secret or restricted key able to read subscriptions and customers (STRIPE_API_KEY); null: decide from the signed event payload alone'),
    apiBase: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .nullable()
      .describe('Base URL of the Stripe API, e.g. a stripe-mock at http://127.0.0.1:12111 (STRIPE_API_BASE); null: api.stripe.com'),
    signatureToleranceSeconds: z.int().min(1).max(600).describe('How old a signed webhook may be, in seconds; older ones are refused as replays'),
    priceTiers: z
      .record(z.string().regex(/^price_[A-Za-z0-9_]+$/, 'must be a Stripe price id (price_…)'), TierName)
      .describe('Stripe price id → tier; a subscription with several mapped prices gets the highest tier'),
    statuses: z
      .strictObject({
        active: statusList('Statuses that mean paid up: provision, upgrade in place, resume'),
        pastDue: statusList('Statuses that mean payment is late: hibernate after pastDueGraceHours'),
        cancelled: statusList('Statuses that mean the subscription ended: hibernate now, deprovision after cancelledRetentionDays'),
      })
      .describe('Which subscription statuses mean what; a status in no list changes nothing'),
    pastDueGraceHours: z
      .int()
      .min(0)
      .max(24 * 90)
      .describe('Hours a past-due tenant keeps running before it is hibernated'),
    cancelledRetentionDays: z.int().min(0).max(365).describe('Days a cancelled tenant stays hibernated (data kept) before it is deprovisioned'),
    eventRetentionDays: z.int().min(3).max(90).describe('Days a processed event id is remembered to drop redeliveries; Stripe retries for up to 3 days'),
  })
  .superRefine((billing, ctx) => {
    const seen = new Map<string, string>();
    for (const [list, statuses] of Object.entries(billing.statuses)) {
      for (const status of statuses) {
        const other = seen.get(status);
        if (other) ctx.addIssue({ code: 'custom', path: ['statuses', list], message: `"${status}" is already listed in ${other}` });
        seen.set(status, list);
      }
    }
    // A canceled subscription never comes back; if nothing treated it as ended, tenants would run forever.
    if (!billing.statuses.cancelled.includes('canceled')) {
      ctx.addIssue({ code: 'custom', path: ['statuses', 'cancelled'], message: 'must include "canceled"' });
    }
  })
  .describe('Stripe billing: webhook verification and the subscription → tenant mapping');
export type BillingConfig = z.infer<typeof BillingConfig>;
