import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BillingRedis } from './event-ledger.ts';

/** Another delivery held the subscription longer than we were willing to wait. */
export class SubscriptionBusyError extends Error {
  override readonly name = 'SubscriptionBusyError';
  constructor(subscriptionId: string) {
    super(`subscription ${subscriptionId} is being handled by another delivery`);
  }
}

export interface SubscriptionLocks {
  /** Runs `work` while no other delivery handles the same subscription. */
  withLock<T>(subscriptionId: string, work: () => Promise<T>): Promise<T>;
}

export type SubscriptionLockOptions = {
  /** `${config.queue.prefix}:billing:lock`. */
  prefix: string;
  /** Longer than handling one event ever takes; a dead holder blocks the subscription this long. */
  ttlMs?: number;
  waitMs?: number;
  pollMs?: number;
};

/**
 * One delivery per subscription at a time, across replicas. Two different events of one
 * subscription (say `updated` and `deleted`) would otherwise read the same tenant, decide apart and
 * queue conflicting jobs; serialised, the second reads what the first recorded and decides from that.
 */
/** The default `ttlMs`. */
export const SUBSCRIPTION_LOCK_TTL_MS = 120_000;

export function createSubscriptionLocks(redis: BillingRedis, options: SubscriptionLockOptions): SubscriptionLocks {
  const ttlMs = options.ttlMs ?? SUBSCRIPTION_LOCK_TTL_MS;
  const waitMs = options.waitMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;

  return {
    async withLock(subscriptionId, work) {
      const key = `${options.prefix}:${subscriptionId}`;
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
      while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
        if (Date.now() >= deadline) throw new SubscriptionBusyError(subscriptionId);
        await sleep(pollMs);
      }
      try {
        return await work();
      } finally {
        // Only our own lock: if it expired and another delivery took it, theirs stays.
        if ((await redis.get(key).catch(() => null)) === token) await redis.del(key).catch(() => undefined);
      }
    },
  };
}
