import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config/config.schema.ts';
import type { IntakeDeps } from '../lifecycle/intake.ts';
import { billingMapping } from './billing-mapping.ts';
import { stripeApiFromConfig, subscriptionLedgerFor } from './create-billing-webhook.ts';
import type { BillingRedis } from './event-ledger.ts';
import { createScheduledActionWorker, type ScheduledWorkerOptions } from './scheduled-action-worker.ts';
import type { StripeApi } from './stripe-api.ts';

export type BillingWorkerDeps = {
  config: Pick<Config, 'billing' | 'tiers' | 'queue'>;
  /** Any connection; the ended-subscription records are read through it. */
  redis: BillingRedis;
  /** The lifecycle core's intake dependencies; the delayed actions call it directly. */
  lifecycle: IntakeDeps;
  logger: Logger;
  api?: StripeApi | null;
};

/**
 * The worker that fires billing's delayed hibernations and removals, built from configuration.
 * Run it in worker processes (`void worker.run()`) and close it with the other workers.
 */
export function createBillingWorker(deps: BillingWorkerDeps, options: ScheduledWorkerOptions): Worker {
  return createScheduledActionWorker(
    {
      lifecycle: deps.lifecycle,
      api: deps.api !== undefined ? deps.api : stripeApiFromConfig(deps.config.billing),
      ledger: subscriptionLedgerFor(deps.config, deps.redis),
      mapping: billingMapping(deps.config.billing, deps.config.tiers),
      logger: deps.logger.child({ component: 'billing-schedules' }),
    },
    options,
  );
}
