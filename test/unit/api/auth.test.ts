import { createHmac } from 'node:crypto';
import { Hono } from 'hono';
import {
  base64url,
  createLocalJWKSet,
  type CryptoKey,
  errors,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type GenerateKeyPairResult,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { bearerAuth, type AuthEnv } from '../../../src/api/auth/auth.middleware.ts';
import { createJwtVerifier, type JwtVerifierOptions } from '../../../src/api/auth/jwt-verifier.ts';
import { createOnError } from '../../../src/api/errors/problem.handlers.ts';
import type { ProblemDocument } from '../../../src/api/errors/problem.schema.ts';
import { AuthConfig } from '../../../src/config/auth-config.schema.ts';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const BASE = { requiredRole: 'superadmin', rolesClaim: 'roles', algorithms: { secret: ['HS256'], jwks: ['RS256', 'ES256'] }, clockToleranceSeconds: 0 };
const now = () => Math.floor(Date.now() / 1000);

function app(auth: Record<string, unknown>, options: JwtVerifierOptions = {}) {
  const verifier = createJwtVerifier(AuthConfig.parse({ ...BASE, ...auth }), options);
  const hono = new Hono<AuthEnv>();
  hono.onError(createOnError({ error: vi.fn() }));
  hono.use('/api/*', bearerAuth(verifier));
  hono.get('/api/me', (c) => c.json(c.var.principal));
  return hono;
}

const call = (hono: Hono<AuthEnv>, token?: string, path = '/api/me') =>
  hono.request(path, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });

function hs256(claims: JWTPayload, secret: string | Uint8Array = SECRET, alg = 'HS256') {
  let jwt = new SignJWT({ roles: ['superadmin'], ...claims }).setProtectedHeader({ alg }).setSubject('ops@example.com');
  if (!('exp' in claims)) jwt = jwt.setExpirationTime('5m');
  return jwt.sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);
}

async function expectProblem(res: Response, status: number, detail?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as ProblemDocument;
  if (detail) expect(body.detail).toMatch(detail);
  return body;
}

describe('bearerAuth with an HS256 secret', () => {
  const hono = app({ jwtSecret: SECRET });

  it('accepts a good token and puts the subject on the context', async () => {
    const res = await call(hono, await hs256({}));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ subject: 'ops@example.com', roles: ['superadmin'] });
  });

  it('answers 401 with a bare Bearer challenge when there is no token', async () => {
    await expectProblem(await call(hono), 401, /Bearer token is required/);
    expect((await call(hono)).headers.get('www-authenticate')).toBe('Bearer realm="tenant-provisioner"');
  });

  it('ignores a token in the query string', async () => {
    const token = await hs256({});
    await expectProblem(await hono.request(`/api/me?access_token=${token}&token=${token}`), 401);
  });

  it('rejects other schemes and malformed headers', async () => {
    const res = await hono.request('/api/me', { headers: { Authorization: `Basic ${btoa('a:b')}` } });
    await expectProblem(res, 401, /must be "Bearer <token>"/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tenant-provisioner", error="invalid_token"');
    await expectProblem(await hono.request('/api/me', { headers: { Authorization: 'Bearer a b' } }), 401);
    await expectProblem(await call(hono, 'x'.repeat(20_000)), 401);
  });

  it('rejects alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ sub: 'ops', roles: ['superadmin'], exp: now() + 300 }));
    await expectProblem(await call(hono, `${header}.${payload}.`), 401);
  });

  it('rejects an HMAC algorithm that is not pinned (HS512)', async () => {
    await expectProblem(await call(hono, await hs256({}, SECRET, 'HS512')), 401, /algorithm is not accepted/);
  });

  it('rejects a token signed with another secret', async () => {
    await expectProblem(await call(hono, await hs256({}, 'another-secret-of-at-least-32-characters')), 401, /signature is invalid/);
  });

  it('requires exp', async () => {
    const token = await new SignJWT({ roles: ['superadmin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('ops').sign(new TextEncoder().encode(SECRET));
    await expectProblem(await call(hono, token), 401, /no "exp" claim/);
  });

  it('requires sub, as a non-empty string', async () => {
    const sign = (claims: JWTPayload) =>
      new SignJWT({ roles: ['superadmin'], ...claims }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
    await expectProblem(await call(hono, await sign({})), 401, /no "sub" claim/);
    await expectProblem(await call(hono, await sign({ sub: 42 as unknown as string })), 401, /"sub" claim must be a non-empty string/);
    await expectProblem(await call(hono, await sign({ sub: '' })), 401, /"sub"/);
  });

  it('rejects an expired token', async () => {
    await expectProblem(await call(hono, await hs256({ exp: now() - 10 })), 401, /expired/);
  });

  it('honours nbf', async () => {
    await expectProblem(await call(hono, await hs256({ nbf: now() + 600 })), 401, /not valid yet/);
    expect((await call(hono, await hs256({ nbf: now() - 5 }))).status).toBe(200);
  });

  it('answers 403 with insufficient_scope when the role is missing', async () => {
    const res = await call(hono, await hs256({ roles: ['admin', 'support'] }));
    await expectProblem(res, 403, /does not include the "superadmin" role/);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    await expectProblem(await call(hono, await hs256({ roles: 'superadmin' })), 403);
    await expectProblem(await call(hono, await hs256({ roles: undefined })), 403);
  });

  it('rejects any byte-mutated token', async () => {
    const token = await hs256({});
    for (const index of [3, token.indexOf('.') + 5, token.lastIndexOf('.') + 5, token.length - 2]) {
      const mutated = token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);
      await expectProblem(await call(hono, mutated), 401);
    }
  });

  it('checks iss and aud when configured', async () => {
    const strict = app({ jwtSecret: SECRET, issuer: 'https://id.example', audience: 'tenant-provisioner' });
    const good = await hs256({ iss: 'https://id.example', aud: 'tenant-provisioner' });
    expect((await call(strict, good)).status).toBe(200);
    await expectProblem(await call(strict, await hs256({ iss: 'https://evil.example', aud: 'tenant-provisioner' })), 401, /"iss"/);
    await expectProblem(await call(strict, await hs256({ iss: 'https://id.example', aud: 'another-service' })), 401, /"aud"/);
    await expectProblem(await call(strict, await hs256({ aud: 'tenant-provisioner' })), 401, /"iss"/);
  });
});

describe('bearerAuth with a JWKS', () => {
  let rsa: GenerateKeyPairResult;
  let ec: GenerateKeyPairResult;
  let hono: Hono<AuthEnv>;
  const jwksUrl = 'https://id.example/.well-known/jwks.json';

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' },
    ];
    hono = app({ jwksUrl }, { getKey: createLocalJWKSet({ keys }) });
  });

  const signed = (key: CryptoKey, alg: string, kid: string) =>
    new SignJWT({ roles: ['superadmin'] }).setProtectedHeader({ alg, kid }).setSubject('ops').setExpirationTime('5m').sign(key);

  it('accepts RS256 and ES256 tokens from the key set', async () => {
    expect((await call(hono, await signed(rsa.privateKey, 'RS256', 'rsa-1'))).status).toBe(200);
    expect((await call(hono, await signed(ec.privateKey, 'ES256', 'ec-1'))).status).toBe(200);
  });

  it('rejects HS256 "signed" with the RSA public key PEM as the secret', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const forged = await hs256({}, new TextEncoder().encode(pem));
    await expectProblem(await call(hono, forged), 401, /algorithm is not accepted/);
    // Also hand-made, with the kid of the real key, in case a library ever picks keys by kid first.
    const header = base64url.encode(JSON.stringify({ alg: 'HS256', kid: 'rsa-1' }));
    const payload = base64url.encode(JSON.stringify({ sub: 'ops', roles: ['superadmin'], exp: now() + 300 }));
    const mac = createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url');
    await expectProblem(await call(hono, `${header}.${payload}.${mac}`), 401);
  });

  it('rejects a token from a key outside the set', async () => {
    const stranger = await generateKeyPair('RS256');
    await expectProblem(await call(hono, await signed(stranger.privateKey, 'RS256', 'rsa-1')), 401);
    await expectProblem(await call(hono, await signed(stranger.privateKey, 'RS256', 'unknown-kid')), 401);
  });

  it('answers 503 when the key set cannot be fetched', async () => {
    const down = app({ jwksUrl }, { getKey: () => Promise.reject(new errors.JWKSTimeout()) });
    const body = await expectProblem(await call(down, await signed(rsa.privateKey, 'RS256', 'rsa-1')), 503, /JWKS/);
    expect(body.title).toBe('Dependency unavailable');
    const refused = app({ jwksUrl }, { getKey: () => Promise.reject(new TypeError('fetch failed')) });
    await expectProblem(await call(refused, await signed(rsa.privateKey, 'RS256', 'rsa-1')), 503);
  });
});
