import { createHmac } from 'node:crypto';
import { base64url, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

/** How the service verifies tokens in a test: a shared HMAC secret, or an RS256 key set it fetches. */
export type TokenKeys = { kind: 'secret'; secret: string } | { kind: 'jwks'; privateKey: CryptoKey; publicKey: CryptoKey; kid: string };

/** Claims the service is configured to require; `rolesClaim` holds the roles, `role` the required one. */
export type TokenClaims = { issuer?: string | undefined; audience?: string | undefined; rolesClaim: string; role: string; subject?: string };

export type ForgedToken = { name: string; token: string; status: 401 | 403 };

const now = () => Math.floor(Date.now() / 1000);
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

/** The RS256 key pair of a test issuer, with the public half as a JWKS document. */
export async function rsaIssuer(kid = 'test-issuer-1') {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  return { keys: { kind: 'jwks', privateKey, publicKey, kid } as TokenKeys, jwks };
}

/** A token the service accepts (the control: every route must answer it with something other than 401/403). */
export function validToken(keys: TokenKeys, claims: TokenClaims, extra: JWTPayload = {}, options: { omit?: string[] } = {}): Promise<string> {
  const payload: JWTPayload = {
    sub: claims.subject ?? 'ops@example.com',
    [claims.rolesClaim]: [claims.role],
    iat: now(),
    exp: now() + 300,
    ...(claims.issuer === undefined ? {} : { iss: claims.issuer }),
    ...(claims.audience === undefined ? {} : { aud: claims.audience }),
    ...extra,
  };
  for (const key of options.omit ?? []) delete payload[key];
  const jwt = new SignJWT(payload);
  if (keys.kind === 'secret') return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(keys.secret));
  return jwt.setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keys.kid }).sign(keys.privateKey);
}

/** `header.payload.signature` with an HMAC computed here, so nothing (jose included) refuses to make it. */
function hmacToken(header: Record<string, unknown>, payload: JWTPayload, key: string | Buffer, hash = 'sha256'): string {
  const signingInput = `${encode(header)}.${encode(payload)}`;
  return `${signingInput}.${createHmac(hash, key).update(signingInput).digest('base64url')}`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Single-character changes to a valid token: at the ends and the middle of each segment, every other
 * spelling of each segment's last character that decodes to the same bytes (it carries unused bits,
 * which lenient decoders ignore), the separators, and appended or inserted padding.
 */
export function byteMutations(token: string): string[] {
  const out = new Set<string>();
  const replace = (i: number, ch: string) => token.slice(0, i) + ch + token.slice(i + 1);
  const other = (ch: string | undefined) => ALPHABET[(ALPHABET.indexOf(ch ?? 'A') + 7) % ALPHABET.length]!;
  let start = 0;
  for (const segment of token.split('.')) {
    for (const offset of [0, 1, Math.floor(segment.length / 2), segment.length - 2, segment.length - 1]) {
      if (offset >= 0 && offset < segment.length) out.add(replace(start + offset, other(token[start + offset])));
    }
    const unusedBits = (segment.length * 6) % 8;
    const last = start + segment.length - 1;
    const value = ALPHABET.indexOf(token[last] ?? '');
    if (segment.length > 0 && unusedBits > 0) {
      for (let v = 0; v < 64; v += 1) if (v !== value && v >> unusedBits === value >> unusedBits) out.add(replace(last, ALPHABET[v]!));
    }
    start += segment.length + 1;
  }
  for (const dot of [token.indexOf('.'), token.lastIndexOf('.')]) out.add(replace(dot, '_'));
  out.add(`${token}=`);
  out.add(`${token}==`);
  out.add(`${token.slice(0, token.indexOf('.'))}=${token.slice(token.indexOf('.'))}`);
  out.delete(token);
  return [...out];
}

/**
 * The forged-token matrix: every token here must be refused, 401 unless only the role is missing (403).
 * With a JWKS, the algorithm-confusion forgery (HS256 keyed with the issuer's public key) is included.
 */
export async function forgedTokens(keys: TokenKeys, claims: TokenClaims): Promise<ForgedToken[]> {
  const good: JWTPayload = {
    sub: 'ops@example.com',
    [claims.rolesClaim]: [claims.role],
    exp: now() + 300,
    ...(claims.issuer === undefined ? {} : { iss: claims.issuer }),
    ...(claims.audience === undefined ? {} : { aud: claims.audience }),
  };
  const valid = await validToken(keys, claims);
  const stranger = await generateKeyPair('RS256');
  const list: ForgedToken[] = [
    { name: 'alg none', token: `${encode({ alg: 'none', typ: 'JWT' })}.${encode(good)}.`, status: 401 },
    { name: 'alg None with the real signature', token: `${encode({ alg: 'None', typ: 'JWT' })}.${encode(good)}.${valid.split('.')[2]}`, status: 401 },
    { name: 'alg none, kid of the real key', token: `${encode({ alg: 'none', kid: keys.kind === 'jwks' ? keys.kid : 'k' })}.${encode(good)}.`, status: 401 },
    { name: 'HS256 with another secret', token: hmacToken({ alg: 'HS256', typ: 'JWT' }, good, 'another-secret-of-at-least-32-characters'), status: 401 },
    {
      name: 'RS256 by a key outside the set',
      token: await new SignJWT(good).setProtectedHeader({ alg: 'RS256', kid: keys.kind === 'jwks' ? keys.kid : 'k' }).sign(stranger.privateKey),
      status: 401,
    },
    { name: 'no exp', token: await validToken(keys, claims, {}, { omit: ['exp'] }), status: 401 },
    { name: 'expired an hour ago', token: await validToken(keys, claims, { exp: now() - 3_600, iat: now() - 7_200 }), status: 401 },
    { name: 'nbf an hour ahead', token: await validToken(keys, claims, { nbf: now() + 3_600 }), status: 401 },
    { name: 'no sub', token: await validToken(keys, claims, {}, { omit: ['sub'] }), status: 401 },
    { name: 'valid, without the role', token: await validToken(keys, claims, { [claims.rolesClaim]: ['support', 'admin'] }), status: 403 },
    { name: 'valid, role as a string', token: await validToken(keys, claims, { [claims.rolesClaim]: claims.role }), status: 403 },
    {
      name: 'valid, role under another claim',
      token: await validToken(keys, claims, { [claims.rolesClaim]: [], role: claims.role, scope: claims.role }),
      status: 403,
    },
  ];
  if (claims.issuer !== undefined) {
    list.push({ name: 'wrong iss', token: await validToken(keys, claims, { iss: 'https://evil.example' }), status: 401 });
    list.push({ name: 'no iss', token: await validToken(keys, claims, {}, { omit: ['iss'] }), status: 401 });
  }
  if (claims.audience !== undefined) {
    list.push({ name: 'wrong aud', token: await validToken(keys, claims, { aud: 'another-service' }), status: 401 });
    list.push({ name: 'no aud', token: await validToken(keys, claims, {}, { omit: ['aud'] }), status: 401 });
  }
  if (keys.kind === 'secret') {
    list.push({
      name: 'HS512 with the right secret (algorithm not pinned)',
      token: hmacToken({ alg: 'HS512', typ: 'JWT' }, good, keys.secret, 'sha512'),
      status: 401,
    });
  } else {
    // Algorithm confusion: HS256 "signed" with the issuer's public key, as PEM and as the JWK's modulus text.
    const pem = await exportSPKI(keys.publicKey);
    list.push({
      name: 'HS256 keyed with the public key PEM (algorithm confusion)',
      token: hmacToken({ alg: 'HS256', typ: 'JWT', kid: keys.kid }, good, pem),
      status: 401,
    });
    list.push({
      name: 'HS256 keyed with the public key DER',
      token: hmacToken({ alg: 'HS256', typ: 'JWT' }, good, Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')),
      status: 401,
    });
  }
  byteMutations(valid).forEach((token, i) => list.push({ name: `byte-mutated #${i}`, token, status: 401 }));
  return list;
}
