import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The Redis commands billing uses; the API's fail-fast connection fits. */
export type BillingRedis = Pick<Redis, 'get' | 'set' | 'del'>;

/** What a delivery learns about its event id. */
export type EventClaim =
  /** First delivery: handle it, then `complete` once the intent is durable, or `release` on failure. */
  | { kind: 'claimed'; complete(): Promise<void>; release(): Promise<void> }
  /** Already handled: answer 200 and do nothing. */
  | { kind: 'duplicate' }
  /** Another delivery of the same event is being handled right now. */
  | { kind: 'in-progress' };

export interface EventLedger {
  claim(eventId: string): Promise<EventClaim>;
}

export type EventLedgerOptions = {
  /** `${config.queue.prefix}:billing:event`. */
  prefix: string;
  /** How long a handled event id is remembered; longer than Stripe's 3 days of retries. */
  retentionSeconds: number;
  /** How long a crashed delivery's marker blocks redeliveries; longer than handling ever takes. */
  processingSeconds?: number;
};

const DONE = 'done';
/** The default `processingSeconds`. */
export const EVENT_PROCESSING_SECONDS = 120;

/**
 * Event ids in Redis, one key per event. A delivery claims the id with SET NX on a processing marker,
 * so concurrent deliveries cannot both act; the id becomes `done` only after the actions succeeded
 * (their intent is in the cluster or the queue), and a failed delivery removes its marker so that
 * Stripe's retry runs again. The marker expires on its own if the process dies mid-way.
 */
export function createEventLedger(redis: BillingRedis, options: EventLedgerOptions): EventLedger {
  const retentionMs = options.retentionSeconds * 1000;
  const processingMs = (options.processingSeconds ?? EVENT_PROCESSING_SECONDS) * 1000;
  const keyOf = (eventId: string) => `${options.prefix}:${eventId}`;

  return {
    async claim(eventId) {
      const key = keyOf(eventId);
      const marker = `processing:${randomUUID()}`;
      // Retry once: the other delivery's marker may vanish between our SET NX and GET.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        if ((await redis.set(key, marker, 'PX', processingMs, 'NX')) === 'OK') {
          return {
            kind: 'claimed',
            complete: async () => {
              await redis.set(key, DONE, 'PX', retentionMs);
            },
            release: async () => {
              // Compare, then delete: only our own marker (a GET/DEL race costs at most one extra,
              // harmless, re-decision; the per-subscription lock serialises the work itself).
              if ((await redis.get(key)) === marker) await redis.del(key);
            },
          };
        }
        const existing = await redis.get(key);
        if (existing === null) continue;
        return existing === DONE ? { kind: 'duplicate' } : { kind: 'in-progress' };
      }
      return { kind: 'in-progress' };
    },
  };
}
