import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import { EVENT_PROCESSING_SECONDS } from '../../../src/billing/event-ledger.ts';
import { SUBSCRIPTION_LOCK_TTL_MS } from '../../../src/billing/subscription-lock.ts';
import type { Intent } from '../ledger.ts';
import type { Random } from '../seeded-random.ts';
import type { DriverContext } from './driver-context.ts';
import { pause, send } from './soak-client.ts';
import { subscriptionEvent, type Subscription } from './stripe-events.ts';
import { applyEvent, type SubscriptionEvent } from './stripe-model.ts';

const SUBSCRIPTIONS = 4;
const TICK_MS: [number, number] = [2_000, 6_000];
/**
 * After the drive: how long an event Stripe would still redeliver (sent, never acknowledged) is
 * retried. Longer than the service may hold an event whose delivery failed mid-way (a Redis failover
 * refusing the release of its processing marker or subscription lock: redeliveries get 409 until
 * those expire), as Stripe goes on redelivering for days: with a shorter flush (30 s) such an event
 * was left half-applied, update done and resume not, and counted as not converged.
 */
const FLUSH_MS = Math.max(EVENT_PROCESSING_SECONDS * 1000, SUBSCRIPTION_LOCK_TTL_MS) + 30_000;

type Pending = { event: SubscriptionEvent; body: string; acknowledged: number; applied: boolean };
type Slot = { rng: Random; sub: Subscription; outbox: Pending[]; redeliver: Pending | null; promised: string | null };

/**
 * A few subscriptions driven by signed webhook events, delivered out of order and duplicated (some
 * twice at once). The service's decision for each processed event is predicted by the model and
 * recorded as an 'stripe' intent of the subscription's tenant (named by its `tenant_id` metadata).
 * An event sent but not acknowledged is redelivered before any other of its subscription, as the
 * service may have acted on part of it: its outcome is settled before the next event is decided.
 */
export async function driveStripe(ctx: DriverContext): Promise<void> {
  await Promise.all(Array.from({ length: SUBSCRIPTIONS }, (_, index) => runSlot(ctx, index)));
}

async function runSlot(ctx: DriverContext, index: number): Promise<void> {
  const rng = ctx.rng.fork(`subscription-${index}`);
  const slot: Slot = { rng, sub: subscriptionEvent.start(rng, index, 1), outbox: [], redeliver: null, promised: null };
  await pause(ctx, rng.int(0, TICK_MS[1]));
  while (!ctx.until.aborted) {
    if (slot.redeliver) await deliver(ctx, slot, slot.redeliver, false);
    else if (!slot.sub.finished && (slot.outbox.length === 0 || rng.chance(0.45))) slot.outbox.push(pending(subscriptionEvent.next(rng, slot.sub)));
    else if (slot.outbox.length > 0) await deliver(ctx, slot, rng.pick(slot.outbox), rng.chance(0.15));
    if (slot.sub.finished && slot.outbox.length === 0 && !slot.redeliver) {
      slot.sub = subscriptionEvent.start(rng, index, slot.sub.generation + 1);
      slot.promised = null;
    }
    await pause(ctx, rng.int(...TICK_MS));
  }
  const deadline = Date.now() + FLUSH_MS;
  while (slot.redeliver && Date.now() < deadline) {
    await deliver(ctx, slot, slot.redeliver, false);
    if (slot.redeliver) await sleep(rng.int(500, 2_000));
  }
  // Still unacknowledged: the service may have acted on it, or on part of it.
  if (slot.redeliver) promise(ctx, slot, applyEvent(structuredClone(slot.sub.model), slot.redeliver.event), -1, true);
}

const pending = (e: { event: SubscriptionEvent; body: string }): Pending => ({ ...e, acknowledged: 0, applied: false });

async function deliver(ctx: DriverContext, slot: Slot, item: Pending, twice: boolean): Promise<void> {
  // Signed at each delivery, as Stripe does: the signature's timestamp must be recent.
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: item.body, secret: ctx.stripeSecret });
  const headers = { 'content-type': 'application/json', 'stripe-signature': signature };
  const answers = await Promise.all(
    Array.from({ length: twice ? 2 : 1 }, () => send(ctx, slot.rng, '/api/webhooks/stripe', { method: 'POST', body: item.body, headers, auth: false })),
  );
  let acknowledgedBy: number | undefined;
  for (const answer of answers) {
    const outcome = answer.status === 200 ? (answer.body as { outcome?: string }).outcome : undefined;
    if (outcome === 'processed' || outcome === 'duplicate') acknowledgedBy = answer.via;
    else if (answer.status === 200 || answer.status === 400 || answer.status === 401 || answer.status === 413) {
      ctx.ledger.violate('stripe-answer', `event ${item.event.id} (${item.event.status}) answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    }
  }
  if (acknowledgedBy === undefined) {
    // 409 (another delivery is being handled), 503, or no answer: Stripe redelivers.
    slot.redeliver = item;
    return;
  }
  slot.redeliver = null;
  item.acknowledged += 1;
  // 'duplicate' proves an earlier delivery was processed, even one whose answer was lost.
  if (!item.applied) {
    item.applied = true;
    promise(ctx, slot, applyEvent(slot.sub.model, item.event), acknowledgedBy, false);
  }
  if (item.acknowledged >= 2 || slot.rng.chance(0.6)) slot.outbox.splice(slot.outbox.indexOf(item), 1);
}

/** Records the tenant's intent when it differs from the one last promised for this subscription. */
function promise(ctx: DriverContext, slot: Slot, intent: Intent | null, via: number, ambiguous: boolean): void {
  if (intent === null) return;
  const key = JSON.stringify(intent);
  if (key === slot.promised && !ambiguous) return;
  slot.promised = key;
  const base = { at: Date.now(), tenantId: slot.sub.tenantId, operation: 'stripe', jobId: null, intent, via } as const;
  ctx.ledger.accept(ambiguous ? { ...base, ambiguous } : base);
}
