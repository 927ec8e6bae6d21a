import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../errors/problem.openapi.ts';
import { STRIPE_EVENT_EXAMPLE, WEBHOOK_RECEIPT_EXAMPLE } from '../openapi/examples.ts';
import { OPERATION_IDS } from '../openapi/links.ts';
import { StripeEventBody, StripeSignatureHeaders, WebhookReceipt } from './webhooks.schemas.ts';

const problems = errorResponses('dependency_unavailable');

export const stripeWebhookRoute = createRoute({
  method: 'post',
  path: '/stripe',
  operationId: OPERATION_IDS.stripeWebhook,
  tags: ['Webhooks'],
  // No bearer token: Stripe authenticates every delivery with the Stripe-Signature header.
  security: [],
  summary: 'Receive a Stripe event',
  description:
    'Verifies `Stripe-Signature` over the raw body (5 minutes tolerance), drops event ids already handled, and drives the ' +
    "tenant lifecycle from the subscription's current state in Stripe. Only `customer.subscription.*` events act; " +
    'others answer 200 and are ignored. Any non-2xx makes Stripe redeliver later. ' +
    'An instance without billing (no STRIPE_WEBHOOK_SECRET) answers 503 on purpose: it cannot take the event now, ' +
    'and Stripe redelivers it later, so an event sent before billing is switched on is not lost (a 4xx would say the request is wrong).',
  request: {
    headers: StripeSignatureHeaders,
    body: { content: { 'application/json': { schema: StripeEventBody, example: STRIPE_EVENT_EXAMPLE } }, required: true },
  },
  responses: {
    200: { description: 'Received', content: { 'application/json': { schema: WebhookReceipt, example: WEBHOOK_RECEIPT_EXAMPLE } } },
    ...errorResponses('bad_request', 'conflict', 'payload_too_large', 'internal'),
    503: {
      ...problems[503],
      description: 'Billing is not configured on this instance (no STRIPE_WEBHOOK_SECRET), or Redis, Stripe or the cluster did not answer: Stripe redelivers',
    },
  },
});
export type StripeWebhookRoute = typeof stripeWebhookRoute;
