import { requestId } from 'hono/request-id';
import { createRouter } from '../../../../src/api/app-env.ts';
import { createOnError, notFoundHandler } from '../../../../src/api/errors/problem.handlers.ts';
import { requestContext } from '../../../../src/api/middleware/request-context.ts';
import { createStripeWebhookRoutes } from '../../../../src/api/webhooks/webhooks.router.ts';
import { createBillingWebhook } from '../../../../src/billing/create-billing-webhook.ts';
import type { StripeApi } from '../../../../src/billing/stripe-api.ts';
import type { Config } from '../../../../src/config/config.schema.ts';
import { createLogger } from '../../../../src/observability/logger.ts';
import { testConfig } from '../../api/support/config.ts';
import { FakeRedis } from '../../api/support/fake-redis.ts';
import { billingCore } from './billing-core.ts';
import { PRICES, SECRET, sign } from './fixtures.ts';

export const NOW = new Date('2026-03-01T12:00:00.000Z');

/** Stripe's API as a table the test fills: what `retrieve` answers "now". */
export class FakeStripeApi implements StripeApi {
  readonly subscriptions = new Map<string, unknown>();
  readonly customers = new Map<string, unknown>();
  down = false;
  reads = 0;

  async retrieveSubscription(id: string) {
    return this.read(this.subscriptions, id);
  }

  async retrieveCustomer(id: string) {
    return this.read(this.customers, id);
  }

  private read(table: Map<string, unknown>, id: string) {
    this.reads += 1;
    if (this.down) throw new Error('connect ECONNREFUSED api.stripe.com');
    const found = table.get(id);
    if (found === undefined) throw new Error(`No such object: ${id}`);
    return found;
  }
}

/**
 * The webhook router as the app mounts it (request id, request logger, the one error handler), built
 * as the composition root builds it, over in-memory Redis and Stripe API and the real lifecycle core
 * on in-memory adapters (`store`: tenants, `producer`: queued jobs, `schedules`: delayed actions).
 * `api: null` runs without an API key.
 */
export function webhookApp(options: { config?: (config: Config) => void; api?: null; liveStorage?: string } = {}) {
  const config = testConfig((c) => {
    c.billing.webhookSecret = SECRET;
    c.billing.apiKey = 'sk_test_unit';
    c.billing.priceTiers = { [PRICES.professional]: 'professional', [PRICES.enterprise]: 'enterprise' };
    options.config?.(c);
  });
  const redis = new FakeRedis();
  const core = billingCore(config, options.liveStorage ? { liveStorage: options.liveStorage } : {});
  const stripe = new FakeStripeApi();
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void logLines.push(line) } });
  const app = createRouter();
  app.use(requestId());
  app.use(requestContext(logger));
  app.onError(createOnError(logger));
  app.notFound(notFoundHandler);
  const webhook = createBillingWebhook({
    config,
    redis: redis.asCommands(),
    lifecycle: core.lifecycle,
    schedules: core.schedules,
    api: options.api === null ? null : stripe,
    now: () => NOW,
  });
  app.route('/api/webhooks', createStripeWebhookRoutes({ webhook, bodyLimitBytes: config.http.bodyLimitBytes }));

  /** POSTs `body` as is; signed with the right secret unless `headers` says otherwise. */
  const deliver = (body: string, headers: Record<string, string | null> = {}) => {
    const all: Record<string, string | null> = { 'Content-Type': 'application/json', 'Stripe-Signature': sign(body), ...headers };
    const sent = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null));
    return app.request('/api/webhooks/stripe', { method: 'POST', body, headers: sent });
  };
  /** Nothing reached the lifecycle: no tenant written, no job queued, nothing scheduled. */
  const untouched = () => core.store.writes === 0 && core.store.tenants.size === 0 && core.producer.jobs.length === 0 && core.schedules.pending.size === 0;
  return { app, config, redis, ...core, stripe, logLines, deliver, untouched };
}
