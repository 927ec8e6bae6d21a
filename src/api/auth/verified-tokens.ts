import { hash } from 'node:crypto';

/**
 * Tokens that passed verification, remembered by the SHA-256 of the whole token (never the token
 * itself, so a heap dump holds no bearer credential), until the earlier of the token's `exp` and
 * `maxAgeMs` after it was verified; at most `maxEntries` of them, the least recently used dropped
 * first. Only successes are stored: a token that failed is verified again every time, and any other
 * token, a forged one included, has another hash.
 *
 * A Map in insertion order is the LRU. Not lru-cache: expiry here is `exp`, a wall-clock instant
 * compared against the same clock jose verifies with, where lru-cache counts TTLs on the monotonic
 * clock (a wall clock stepped forward would leave an expired token cached).
 */
export interface VerifiedTokens<V> {
  get(token: string): V | undefined;
  /** Remembers `value` until `expiresAtMs` (the token's `exp`) or maxAge from now, whichever comes first. */
  set(token: string, value: V, expiresAtMs: number): void;
  readonly size: number;
}

export type VerifiedTokensOptions = { maxEntries: number; maxAgeMs: number; now?: () => number };

export function createVerifiedTokens<V>(options: VerifiedTokensOptions): VerifiedTokens<V> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: V; until: number }>();
  const keyOf = (token: string) => hash('sha256', token, 'base64url');
  return {
    get(token) {
      const key = keyOf(token);
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (now() >= entry.until) return undefined;
      entries.set(key, entry);
      return entry.value;
    },
    set(token, value, expiresAtMs) {
      if (options.maxEntries <= 0) return;
      const at = now();
      const until = Math.min(expiresAtMs, at + options.maxAgeMs);
      if (!(until > at)) return;
      const key = keyOf(token);
      entries.delete(key);
      entries.set(key, { value, until });
      for (const oldest of entries.keys()) {
        if (entries.size <= options.maxEntries) break;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
