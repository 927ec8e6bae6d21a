import { createBillingWebhook, type BillingWebhookDeps } from '../../billing/create-billing-webhook.ts';
import type { Config } from '../../config/config.schema.ts';
import { createRouter } from '../app-env.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { stripeWebhookHandler } from './webhooks.handlers.ts';
import { stripeWebhookRoute } from './webhooks.routes.ts';

export type StripeWebhookRoutesDeps = BillingWebhookDeps & { config: Pick<Config, 'billing' | 'tiers' | 'queue' | 'http'> };

/**
 * `/api/webhooks`: `POST /stripe`. Mounted without bearer auth or the per-subject rate limit (Stripe
 * has no JWT); the signature authenticates each delivery, and the body limit still applies.
 */
export function createStripeWebhookRoutes(deps: StripeWebhookRoutesDeps) {
  const router = createRouter();
  router.use('*', limitBody(deps.config.http.bodyLimitBytes));
  router.openapi(stripeWebhookRoute, stripeWebhookHandler(createBillingWebhook(deps)));
  return router;
}
