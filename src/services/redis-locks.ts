import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

/** Another holder kept the lock longer than this caller was willing to wait. */
export class LockBusyError extends Error {
  override readonly name: string = 'LockBusyError';
}

export interface RedisLocks {
  /** Runs `work` while no other holder of the lock `name` (in any replica) runs. */
  withLock<T>(name: string, work: () => Promise<T>): Promise<T>;
}

export type RedisLockOptions = {
  /** Keys are `${prefix}:${name}`. */
  prefix: string;
  /** Longer than the work ever takes; a dead holder blocks the name this long. */
  ttlMs: number;
  waitMs?: number;
  pollMs?: number;
  /** The error a caller that waited `waitMs` in vain gets. */
  busy?: (name: string) => Error;
};

/**
 * Mutual exclusion by name across replicas: SET NX PX with a token of the holder's own, released
 * only by that holder. A lock is advisory (a Redis failover may lose it), so work under it must
 * stay correct, if slower, when two holders overlap.
 */
export function createRedisLocks(redis: Pick<Redis, 'get' | 'set' | 'del'>, options: RedisLockOptions): RedisLocks {
  const waitMs = options.waitMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;
  const busy = options.busy ?? ((name: string) => new LockBusyError(`${name} is held by another worker`));
  return {
    async withLock(name, work) {
      const key = `${options.prefix}:${name}`;
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
      while ((await redis.set(key, token, 'PX', options.ttlMs, 'NX')) !== 'OK') {
        if (Date.now() >= deadline) throw busy(name);
        await sleep(pollMs);
      }
      try {
        return await work();
      } finally {
        // Only our own lock: if it expired and another holder took it, theirs stays.
        if ((await redis.get(key).catch(() => null)) === token) await redis.del(key).catch(() => undefined);
      }
    },
  };
}
