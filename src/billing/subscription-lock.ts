import { createRedisLocks } from '../services/redis-locks.ts';
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
  return createRedisLocks(redis, {
    prefix: options.prefix,
    ttlMs: options.ttlMs ?? SUBSCRIPTION_LOCK_TTL_MS,
    waitMs: options.waitMs ?? 10_000,
    pollMs: options.pollMs ?? 50,
    busy: (subscriptionId) => new SubscriptionBusyError(subscriptionId),
  });
}
