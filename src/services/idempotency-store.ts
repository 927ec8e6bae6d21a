import { createHash } from 'node:crypto';
import type { RedisCommands } from './redis-commands.ts';

/** A response worth replaying: what the first request with a key answered. */
export type StoredResponse = { status: number; body: unknown; headers: Record<string, string> };

/** What a request learns when it presents an Idempotency-Key. */
export type IdempotencyClaim =
  /** First use: do the work, then `complete` (or `release` when it failed, so a retry may run). */
  | { kind: 'claimed'; complete(response: StoredResponse): Promise<void>; release(): Promise<void> }
  | { kind: 'replay'; response: StoredResponse }
  /** The key was used with another request body. */
  | { kind: 'mismatch' }
  /** A request with this key and body is being handled right now. */
  | { kind: 'in-progress' };

export interface IdempotencyStore {
  claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>;
}

type Entry = { state: 'pending'; fingerprint: string } | { state: 'done'; fingerprint: string; response: StoredResponse };

export type IdempotencyOptions = {
  /** `${config.queue.prefix}:idem`. */
  prefix: string;
  /** How long a key is remembered after its request succeeded. */
  ttlSeconds?: number;
  /** How long a crashed request's pending marker blocks retries. */
  pendingTtlSeconds?: number;
};

/**
 * Idempotency keys in Redis. The pending marker is written with SET NX, so two concurrent requests
 * with one key cannot both do the work; only a successful response is stored (for 24 h), and a
 * failed request releases its key, so the client may retry it.
 */
export function createIdempotencyStore(redis: RedisCommands, options: IdempotencyOptions): IdempotencyStore {
  const ttlMs = (options.ttlSeconds ?? 24 * 3600) * 1000;
  const pendingTtlMs = (options.pendingTtlSeconds ?? 60) * 1000;
  // Keys are per caller (as Stripe scopes them per account) and hashed: a client's key is arbitrary text.
  const redisKey = (scope: string, key: string) => `${options.prefix}:${sha256(`${scope}\n${key}`)}`;

  return {
    async claim(scope, key, fingerprint) {
      const name = redisKey(scope, key);
      const pending: Entry = { state: 'pending', fingerprint };
      // Retry once: the other holder's marker may expire between our SET NX and GET.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        if ((await redis.set(name, JSON.stringify(pending), 'PX', pendingTtlMs, 'NX')) === 'OK') {
          return {
            kind: 'claimed',
            complete: async (response) => {
              const done: Entry = { state: 'done', fingerprint, response };
              await redis.set(name, JSON.stringify(done), 'PX', ttlMs);
            },
            release: async () => {
              await redis.del(name);
            },
          };
        }
        const existing = parseEntry(await redis.get(name));
        if (existing === undefined) continue;
        if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
        return existing.state === 'done' ? { kind: 'replay', response: existing.response } : { kind: 'in-progress' };
      }
      return { kind: 'in-progress' };
    },
  };
}

function parseEntry(text: string | null): Entry | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as Entry;
  } catch {
    return undefined;
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
