import type { StripeWebhook } from '../../billing/stripe-webhook.ts';
import { createRouter } from '../app-env.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { stripeWebhookHandler } from './webhooks.handlers.ts';
import { stripeWebhookRoute } from './webhooks.routes.ts';

/** The webhook built by the composition root; null when no webhook secret is configured (the route answers 503). */
export type StripeWebhookRoutesDeps = { webhook: StripeWebhook | null; bodyLimitBytes: number };

/**
 * `/api/webhooks`: `POST /stripe`. Mounted without bearer auth or the per-subject rate limit (Stripe
 * has no JWT); the signature authenticates each delivery, and the body limit still applies.
 */
export function createStripeWebhookRoutes(deps: StripeWebhookRoutesDeps) {
  const router = createRouter();
  router.use('*', limitBody(deps.bodyLimitBytes));
  router.openapi(stripeWebhookRoute, stripeWebhookHandler(deps.webhook));
  return router;
}
