import type { BillingRedis } from './event-ledger.ts';

/**
 * What billing remembers per subscription so that arrival order cannot undo a later state:
 * - `ended`: the subscription reached a terminal status. Stripe never reopens one, so an `updated`
 *   event delivered after `deleted` (or a stale API read) must not resurrect or re-provision it.
 * - `applied`: the creation time of the newest event acted on, used only when no API key is
 *   configured and the event payload is the sole source: an older snapshot is then skipped.
 */
export interface SubscriptionLedger {
  isEnded(subscriptionId: string): Promise<boolean>;
  markEnded(subscriptionId: string): Promise<void>;
  lastApplied(subscriptionId: string): Promise<number | undefined>;
  recordApplied(subscriptionId: string, created: number): Promise<void>;
}

export type SubscriptionLedgerOptions = {
  /** `${config.queue.prefix}:billing:subscription`. */
  prefix: string;
  /** How long to remember; beyond Stripe's 30 days of resendable events and the retention period. */
  ttlSeconds: number;
};

/** Callers hold the subscription's lock, so a read followed by a write is not a race. */
export function createSubscriptionLedger(redis: BillingRedis, options: SubscriptionLedgerOptions): SubscriptionLedger {
  const ttlMs = options.ttlSeconds * 1000;
  const ended = (id: string) => `${options.prefix}:${id}:ended`;
  const applied = (id: string) => `${options.prefix}:${id}:applied`;
  return {
    isEnded: async (id) => (await redis.get(ended(id))) !== null,
    markEnded: async (id) => {
      await redis.set(ended(id), '1', 'PX', ttlMs);
    },
    lastApplied: async (id) => {
      const value = await redis.get(applied(id));
      return value === null ? undefined : Number(value);
    },
    recordApplied: async (id, created) => {
      await redis.set(applied(id), String(created), 'PX', ttlMs);
    },
  };
}
