import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../errors/problem.openapi.ts';
import { StripeEventBody, StripeSignatureHeaders, WebhookReceipt } from './webhooks.schemas.ts';

export const stripeWebhookRoute = createRoute({
  method: 'post',
  path: '/stripe',
  tags: ['Webhooks'],
  // No bearer token: Stripe authenticates every delivery with the Stripe-Signature header.
  security: [],
  summary: 'Receive a Stripe event',
  description:
    'Verifies `Stripe-Signature` over the raw body (5 minutes tolerance), drops event ids already handled, and drives the ' +
    'tenant lifecycle from the subscription\'s current state in Stripe. Only `customer.subscription.*` events act; ' +
    'others answer 200 and are ignored. Any non-2xx makes Stripe redeliver later.',
  request: {
    headers: StripeSignatureHeaders,
    body: { content: { 'application/json': { schema: StripeEventBody } }, required: true },
  },
  responses: {
    200: { description: 'Received', content: { 'application/json': { schema: WebhookReceipt } } },
    ...errorResponses('bad_request', 'conflict', 'payload_too_large', 'internal', 'dependency_unavailable'),
  },
});
export type StripeWebhookRoute = typeof stripeWebhookRoute;
