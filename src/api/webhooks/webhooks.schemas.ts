import { z } from '@hono/zod-openapi';

// The receipt's schema lives with the webhook that returns it: one schema, no twin type.
export { WebhookReceipt } from '../../billing/stripe-webhook.ts';

/** Documented, not validated by zod: a missing signature must be a 400 from the handler, not a 422. */
export const StripeSignatureHeaders = z.object({
  'stripe-signature': z.string().optional().openapi({
    description: "Stripe's HMAC-SHA256 signature of the raw body: `t=<unix time>,v1=<hex>`",
    example: 't=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
  }),
});

/** The body is described, not parsed: it must reach signature verification byte for byte. */
export const StripeEventBody = {
  type: 'object' as const,
  description: 'A Stripe Event object (https://docs.stripe.com/api/events/object), exactly as Stripe sent it',
  required: ['id', 'type', 'created', 'data'],
  properties: {
    id: { type: 'string' as const, example: 'evt_1NG8Du2eZvKYlo2CUI79vXWy' },
    type: { type: 'string' as const, example: 'customer.subscription.updated' },
    created: { type: 'integer' as const },
    data: { type: 'object' as const, properties: { object: { type: 'object' as const } } },
  },
};
