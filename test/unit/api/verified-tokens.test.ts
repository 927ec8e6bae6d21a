import { createLocalJWKSet, exportJWK, generateKeyPair, type GenerateKeyPairResult, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, type JwtVerifierOptions } from '../../../src/api/auth/jwt-verifier.ts';
import { createVerifiedTokens } from '../../../src/api/auth/verified-tokens.ts';
import { ProblemError } from '../../../src/api/errors/problem-error.ts';
import { AuthConfig } from '../../../src/config/auth-config.schema.ts';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const OTHER_SECRET = 'the-rotated-secret-of-at-least-32-characters';
const BASE = { requiredRole: 'superadmin', rolesClaim: 'roles', algorithms: { secret: ['HS256'], jwks: ['RS256'] }, clockToleranceSeconds: 0 };
const T0 = 1_767_225_600_000;

function clock(start = T0) {
  let at = start;
  return { now: () => at, advance: (ms: number) => void (at += ms) };
}

const hs256 = (claims: JWTPayload, secret = SECRET) =>
  new SignJWT({ roles: ['superadmin'], ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('ops@example.com').sign(new TextEncoder().encode(secret));

const verifierWith = (auth: Record<string, unknown>, options: JwtVerifierOptions) => createJwtVerifier(AuthConfig.parse({ ...BASE, ...auth }), options);

/** The verifier's outcome as a status: 200 for a principal, else the problem's status. */
async function outcome(verify: (token: string) => Promise<unknown>, token: string): Promise<number> {
  try {
    await verify(token);
    return 200;
  } catch (error) {
    if (error instanceof ProblemError) return error.status;
    throw error;
  }
}

describe('createVerifiedTokens', () => {
  it('forgets an entry at its expiry, and never keeps one past maxAge', () => {
    const c = clock();
    const cache = createVerifiedTokens<string>({ maxEntries: 10, maxAgeMs: 60_000, now: c.now });
    cache.set('a', 'A', T0 + 1_000);
    cache.set('b', 'B', T0 + 3_600_000);
    c.advance(999);
    expect(cache.get('a')).toBe('A');
    c.advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe('B');
    c.advance(59_000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store what has already expired, nor anything with no room at all', () => {
    const c = clock();
    const cache = createVerifiedTokens<string>({ maxEntries: 10, maxAgeMs: 60_000, now: c.now });
    cache.set('past', 'P', T0);
    cache.set('nan', 'N', Number.NaN);
    expect(cache.size).toBe(0);
    const none = createVerifiedTokens<string>({ maxEntries: 0, maxAgeMs: 60_000, now: c.now });
    none.set('a', 'A', T0 + 1_000);
    expect(none.get('a')).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the least recently used', () => {
    const cache = createVerifiedTokens<string>({ maxEntries: 3, maxAgeMs: 60_000, now: clock().now });
    for (const t of ['t1', 't2', 't3']) cache.set(t, t.toUpperCase(), T0 + 10_000);
    expect(cache.get('t1')).toBe('T1');
    cache.set('t4', 'T4', T0 + 10_000);
    expect(cache.size).toBe(3);
    expect(cache.get('t2')).toBeUndefined();
    expect(['t1', 't3', 't4'].map((t) => cache.get(t))).toEqual(['T1', 'T3', 'T4']);
    for (let i = 0; i < 1_000; i += 1) cache.set(`x${i}`, 'X', T0 + 10_000);
    expect(cache.size).toBe(3);
  });

  it('answers only for the exact token', () => {
    const cache = createVerifiedTokens<string>({ maxEntries: 10, maxAgeMs: 60_000, now: clock().now });
    cache.set('header.payload.signature', 'P', T0 + 10_000);
    for (const other of ['header.payload.signaturf', 'header.payload.signature=', 'header.payload.', ' header.payload.signature']) {
      expect(cache.get(other)).toBeUndefined();
    }
  });
});

describe('the JWT verifier with its cache of verified tokens', () => {
  it('fails an expired token even though it was verified and cached before', async () => {
    const c = clock();
    const verify = verifierWith({ jwtSecret: SECRET }, { now: c.now, cacheMaxAgeMs: 3_600_000 });
    const token = await hs256({ exp: T0 / 1000 + 30 });
    expect(await outcome(verify, token)).toBe(200);
    c.advance(29_999);
    expect(await outcome(verify, token)).toBe(200);
    c.advance(1);
    expect(await outcome(verify, token)).toBe(401);
    expect(await outcome(verify, token)).toBe(401);
  });

  it('never accepts a token whose signature is not the cached one', async () => {
    const verify = verifierWith({ jwtSecret: SECRET }, { now: clock().now });
    const token = await hs256({ exp: T0 / 1000 + 300 });
    expect(await outcome(verify, token)).toBe(200);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = await hs256({ exp: T0 / 1000 + 300, roles: ['superadmin', 'extra'] }, 'an-attacker-secret-of-at-least-32-characters');
    const candidates = [
      `${header}.${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
      `${header}.${payload}.${forged.split('.')[2]}`,
      `${header}.${payload}.`,
      `${token}=`,
      forged,
    ];
    // Twice: a refusal is not remembered as anything that could later pass.
    for (let round = 0; round < 2; round += 1) {
      for (const candidate of candidates) expect(await outcome(verify, candidate)).toBe(401);
    }
    expect(await outcome(verify, token)).toBe(200);
  });

  it('does not remember a refusal of the role either', async () => {
    const verify = verifierWith({ jwtSecret: SECRET }, { now: clock().now });
    const token = await hs256({ exp: T0 / 1000 + 300, roles: ['support'] });
    expect(await outcome(verify, token)).toBe(403);
    expect(await outcome(verify, token)).toBe(403);
  });

  it("gives a rotated secret a cache of its own: the old secret's tokens fail after the restart", async () => {
    const c = clock();
    const before = verifierWith({ jwtSecret: SECRET }, { now: c.now });
    const after = verifierWith({ jwtSecret: OTHER_SECRET }, { now: c.now });
    const old = await hs256({ exp: T0 / 1000 + 300 });
    expect(await outcome(before, old)).toBe(200);
    expect(await outcome(after, old)).toBe(401);
    expect(await outcome(after, await hs256({ exp: T0 / 1000 + 300 }, OTHER_SECRET))).toBe(200);
  });

  describe('with a JWKS', () => {
    let current: GenerateKeyPairResult;
    let next: GenerateKeyPairResult;
    beforeAll(async () => {
      current = await generateKeyPair('RS256', { extractable: true });
      next = await generateKeyPair('RS256', { extractable: true });
    });
    const jwksUrl = 'https://id.example/.well-known/jwks.json';
    const rs256 = (key: GenerateKeyPairResult, kid: string) =>
      new SignJWT({ roles: ['superadmin'] })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject('ops')
        .setExpirationTime(T0 / 1000 + 3_600)
        .sign(key.privateKey);

    /** A key set the test can rotate, counting the key lookups (one per verification). */
    async function rotatingKeySet(keys: { key: GenerateKeyPairResult; kid: string }[]) {
      const set: JSONWebKeySet = { keys: [] };
      const publish = async (list: typeof keys) => {
        set.keys = await Promise.all(list.map(async ({ key, kid }) => ({ ...(await exportJWK(key.publicKey)), kid, alg: 'RS256' })));
      };
      await publish(keys);
      const lookups = { count: 0 };
      const getKey: JwtVerifierOptions['getKey'] = (header, token) => {
        lookups.count += 1;
        return createLocalJWKSet(set)(header, token);
      };
      return { getKey, publish, lookups };
    }

    it('verifies a token once, then answers from the cache', async () => {
      const keySet = await rotatingKeySet([{ key: current, kid: 'k1' }]);
      const verify = verifierWith({ jwksUrl }, { getKey: keySet.getKey, now: clock().now });
      const token = await rs256(current, 'k1');
      for (let i = 0; i < 5; i += 1) expect(await verify(token)).toEqual({ subject: 'ops', roles: ['superadmin'] });
      expect(keySet.lookups.count).toBe(1);
    });

    it('stops honouring a key withdrawn from the set within the cache max age', async () => {
      const c = clock();
      const keySet = await rotatingKeySet([
        { key: current, kid: 'k1' },
        { key: next, kid: 'k2' },
      ]);
      const verify = verifierWith({ jwksUrl }, { getKey: keySet.getKey, now: c.now, cacheMaxAgeMs: 60_000 });
      const old = await rs256(current, 'k1');
      expect(await outcome(verify, old)).toBe(200);
      await keySet.publish([{ key: next, kid: 'k2' }]);
      c.advance(59_000);
      expect(await outcome(verify, old)).toBe(200);
      c.advance(1_000);
      expect(await outcome(verify, old)).toBe(401);
      expect(await outcome(verify, await rs256(next, 'k2'))).toBe(200);
    });

    it('verifies again a token pushed out by newer ones (bounded size)', async () => {
      const keySet = await rotatingKeySet([{ key: current, kid: 'k1' }]);
      const verify = verifierWith({ jwksUrl }, { getKey: keySet.getKey, now: clock().now, cacheEntries: 2 });
      const tokens = await Promise.all(
        ['a', 'b', 'c'].map((sub) =>
          new SignJWT({ roles: ['superadmin'] })
            .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
            .setSubject(sub)
            .setExpirationTime(T0 / 1000 + 3_600)
            .sign(current.privateKey),
        ),
      );
      for (const token of tokens) await verify(token);
      expect(keySet.lookups.count).toBe(3);
      await verify(tokens[2]!);
      await verify(tokens[1]!);
      expect(keySet.lookups.count).toBe(3);
      await verify(tokens[0]!);
      expect(keySet.lookups.count).toBe(4);
    });
  });
});
