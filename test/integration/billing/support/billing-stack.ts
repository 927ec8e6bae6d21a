import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { requestId } from 'hono/request-id';
import { redisConnection } from '../../../../src/composition/redis-connections.ts';
import { createRouter } from '../../../../src/api/app-env.ts';
import { createOnError, notFoundHandler } from '../../../../src/api/errors/problem.handlers.ts';
import { requestContext } from '../../../../src/api/middleware/request-context.ts';
import { createStripeWebhookRoutes } from '../../../../src/api/webhooks/webhooks.router.ts';
import { createBillingWebhook } from '../../../../src/billing/create-billing-webhook.ts';
import type { BillingLifecycleDeps } from '../../../../src/billing/billing-intake.ts';
import { createBillingSchedules } from '../../../../src/billing/billing-schedules.ts';
import { FAST_LIFECYCLE, mergeOverride, writeConfigOverride } from '../../../support/config-override.ts';
import type { ServiceDeps } from '../../../support/service-deps.ts';
import { lifecycleDeps } from '../../../support/tenants.ts';
import { eventBody, SECRET, sign, subscriptionJson } from '../../../unit/billing/support/fixtures.ts';

export const PRICE = { professional: 'price_itprofessional', enterprise: 'price_itenterprise' } as const;

/** A test file's own Stripe customer, so parallel files never find each other's tenants by customer. */
export const uniqueCustomer = () => `cus_it${randomBytes(5).toString('hex')}`;
export const uniqueSubscription = () => `sub_it${randomBytes(5).toString('hex')}`;

/** Environment for testConfig: billing on, the API read from the given stripe-mock, fast lifecycle timings. */
export function billingEnv(stripeMockUrl: string, billing: Record<string, unknown> = {}): Record<string, string> {
  const override = mergeOverride(FAST_LIFECYCLE, {
    billing: { priceTiers: { [PRICE.professional]: 'professional', [PRICE.enterprise]: 'enterprise' }, cancelledRetentionDays: 0, ...billing },
  });
  return {
    CONFIG_FILE: writeConfigOverride(override),
    STRIPE_WEBHOOK_SECRET: SECRET,
    STRIPE_API_KEY: 'sk_test_integration',
    STRIPE_API_BASE: stripeMockUrl,
  };
}

/**
 * The Stripe webhook wired as the composition root wires it: a fail-fast Redis connection for
 * the API side, the lifecycle core on the sandbox (billing calls it directly, provision included),
 * and the billing-schedules queue. `deliver` signs an event with the SDK and POSTs it.
 */
export async function billingStack(deps: ServiceDeps) {
  const { config, logger } = deps;
  const redis = redisConnection(config.redis, 'fail-fast');
  // Without an offline queue, commands before the connection is up fail (a 503 at start-up, by design).
  if (redis.status !== 'ready') await once(redis, 'ready');
  const schedules = createBillingSchedules({ connection: deps.redis, prefix: config.queue.prefix });
  const lifecycle: BillingLifecycleDeps = { ...lifecycleDeps(deps), tenants: deps.registry };
  const app = createRouter();
  app.use(requestId());
  app.use(requestContext(logger));
  app.onError(createOnError(logger));
  app.notFound(notFoundHandler);
  app.route(
    '/api/webhooks',
    createStripeWebhookRoutes({ webhook: createBillingWebhook({ config, redis, lifecycle, schedules }), bodyLimitBytes: config.http.bodyLimitBytes }),
  );

  const post = (body: string) =>
    app.request('/api/webhooks/stripe', { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': sign(body) } });
  return {
    app,
    schedules,
    lifecycle,
    post,
    /** Signs and delivers a subscription event; its payload need not match what stripe-mock holds. */
    deliver(type: string, subscription: Parameters<typeof subscriptionJson>[0], options: { id?: string; created?: number } = {}) {
      return post(eventBody(type, subscriptionJson(subscription), options));
    },
    async close() {
      await schedules.close();
      await redis.quit();
    },
  };
}
export type BillingStack = Awaited<ReturnType<typeof billingStack>>;
