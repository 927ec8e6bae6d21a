import { z } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { ConflictError } from '../domain/errors.ts';
import { asDependencyError, dependencyCall, REDIS_DEADLINE_MS } from '../services/dependency.ts';
import type { EventLedger } from './event-ledger.ts';
import { snapshotOf } from './subscription-snapshot.ts';
import { SubscriptionBusyError } from './subscription-lock.ts';
import type { SubscriptionProcessor } from './subscription-processor.ts';
import { verifyStripeEvent } from './webhook-signature.ts';

/** What `POST /api/webhooks/stripe` answers with 200: Stripe only needs the status; humans read the rest. */
export const WebhookReceipt = z
  .object({
    received: z.literal(true),
    eventId: z.string().openapi({ example: 'evt_1NG8Du2eZvKYlo2CUI79vXWy' }),
    type: z.string().openapi({ example: 'customer.subscription.updated' }),
    outcome: z.enum(['processed', 'duplicate', 'ignored']).openapi({
      description:
        'processed: the tenant lifecycle was driven from the subscription; duplicate: this event id was handled before; ignored: not an event billing acts on',
    }),
    detail: z.string().openapi({ example: 'active: professional → enterprise' }),
  })
  .openapi('StripeWebhookReceipt');
export type WebhookReceipt = z.infer<typeof WebhookReceipt>;

export type StripeWebhookDeps = {
  secret: string;
  toleranceSeconds: number;
  events: EventLedger;
  process: SubscriptionProcessor;
};

export interface StripeWebhook {
  /** `body` is the request's bytes exactly as received: the signature covers them, not a re-serialisation. */
  receive(body: Uint8Array, signature: string | undefined, logger: Logger): Promise<WebhookReceipt>;
}

// Every customer.subscription.* event names a subscription; which one changed is all we take from it.
const SUBSCRIPTION_EVENT = /^customer\.subscription\.[a-z_.]+$/;

const busy = (detail: string) => new ConflictError(detail, { retryAfterSeconds: 5 });

/**
 * Verify → deduplicate → decide and act → remember. Nothing is recorded or acted on before the
 * signature checks out; the event id is marked done only after the actions resolved, so a failure
 * anywhere makes Stripe redeliver and the whole decision runs again.
 */
export function createStripeWebhook(deps: StripeWebhookDeps): StripeWebhook {
  return {
    async receive(body, signature, logger) {
      const event = await verifyStripeEvent(body, signature, deps.secret, deps.toleranceSeconds);
      const log = logger.child({ eventId: event.id, eventType: event.type });
      const receipt = (outcome: WebhookReceipt['outcome'], detail: string): WebhookReceipt => ({
        received: true,
        eventId: event.id,
        type: event.type,
        outcome,
        detail,
      });

      if (!SUBSCRIPTION_EVENT.test(event.type)) {
        log.info('stripe event ignored: not a subscription event');
        return receipt('ignored', 'not a subscription event');
      }
      const payload = snapshotOf(event.object);
      if (!payload) {
        log.warn('stripe event ignored: its data.object is not a subscription');
        return receipt('ignored', 'data.object is not a subscription');
      }

      const claim = await dependencyCall('Redis', deps.events.claim(event.id), REDIS_DEADLINE_MS);
      if (claim.kind === 'duplicate') return receipt('duplicate', 'already processed');
      if (claim.kind === 'in-progress') throw busy('Another delivery of this event is being processed');
      let result;
      try {
        result = await deps.process(event.created, payload, { eventId: event.id, logger: log });
      } catch (error) {
        await claim.release().catch((cause: unknown) => log.warn({ err: cause }, 'could not release the event marker; it expires'));
        if (error instanceof SubscriptionBusyError) throw busy(error.message);
        // The queue or the cluster out of reach (a Redis failover) is a 503 Stripe retries, as on every route.
        throw asDependencyError('Redis or the Kubernetes API', error);
      }
      await dependencyCall('Redis', claim.complete(), REDIS_DEADLINE_MS);
      log.info({ ...result, decision: undefined, reason: result.decision.reason }, 'stripe subscription event processed');
      return receipt('processed', result.decision.reason);
    },
  };
}
