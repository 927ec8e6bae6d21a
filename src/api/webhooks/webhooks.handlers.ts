import type { RouteHandler } from '@hono/zod-openapi';
import type { StripeWebhook } from '../../billing/stripe-webhook.ts';
import type { AppEnv } from '../app-env.ts';
import { ProblemError } from '../errors/problem-error.ts';
import type { StripeWebhookRoute } from './webhooks.routes.ts';

/** `webhook` is null when no STRIPE_WEBHOOK_SECRET is configured: billing is off, not broken. */
export function stripeWebhookHandler(webhook: StripeWebhook | null): RouteHandler<StripeWebhookRoute, AppEnv> {
  return async (c) => {
    if (!webhook) {
      throw new ProblemError('dependency_unavailable', {
        detail: 'Stripe webhooks are not configured on this service (STRIPE_WEBHOOK_SECRET is not set)',
      });
    }
    // The bytes as received: the signature covers them, and decoding then re-encoding could alter them.
    const body = new Uint8Array(await c.req.arrayBuffer());
    const receipt = await webhook.receive(body, c.req.header('stripe-signature'), c.var.logger);
    return c.json(receipt, 200);
  };
}
