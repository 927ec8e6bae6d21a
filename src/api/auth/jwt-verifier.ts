import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { AuthConfig } from '../../config/auth-config.schema.ts';
import { ProblemError } from '../errors/problem-error.ts';
import { createVerifiedTokens } from './verified-tokens.ts';

/** Who called: the verified `sub` and the roles the token carries. */
export interface Principal {
  subject: string;
  roles: readonly string[];
}

/** Verifies a bearer token and returns its principal, or throws a 401, 403 or 503 `ProblemError`. */
export type JwtVerifier = (token: string) => Promise<Principal>;

export interface JwtVerifierOptions {
  /** Key lookup for JWKS mode; defaults to fetching `auth.jwksUrl`. Tests pass `createLocalJWKSet(...)`. */
  getKey?: JWTVerifyGetKey;
  /** Verified tokens remembered (by hash, until their `exp`); 0 verifies every request. Default 10,000. */
  cacheEntries?: number;
  /**
   * The longest a verification is reused before the token is verified again (default 60 s): a key
   * withdrawn from the JWKS stops being honoured within this (jose's remote key set itself is
   * re-fetched only every 10 minutes).
   */
  cacheMaxAgeMs?: number;
  /** The wall clock `exp`, `nbf` and the cache are read on (tests); the system clock by default. */
  now?: () => number;
}

const REALM = 'Bearer realm="tenant-provisioner"';

export function createJwtVerifier(auth: AuthConfig, options: JwtVerifierOptions = {}): JwtVerifier {
  const jwks = auth.jwksUrl === undefined ? undefined : (options.getKey ?? createRemoteJWKSet(new URL(auth.jwksUrl)));
  const secret = auth.jwtSecret === undefined ? undefined : new TextEncoder().encode(auth.jwtSecret);
  // The key source pins the algorithms: a token never chooses its own (no `none`, no HS256 over a public key).
  const verifyOptions: JWTVerifyOptions = {
    algorithms: jwks ? [...auth.algorithms.jwks] : [...auth.algorithms.secret],
    requiredClaims: ['exp', 'sub'],
    clockTolerance: auth.clockToleranceSeconds,
    ...(auth.issuer === undefined ? {} : { issuer: auth.issuer }),
    ...(auth.audience === undefined ? {} : { audience: auth.audience }),
  };

  // A poll or a dashboard sends the same token many times a second; each verification is ~100 µs of
  // WebCrypto. Only successful verifications are kept (see verified-tokens.ts).
  const verified = createVerifiedTokens<Principal>({
    maxEntries: options.cacheEntries ?? 10_000,
    maxAgeMs: options.cacheMaxAgeMs ?? 60_000,
    ...(options.now ? { now: options.now } : {}),
  });
  const now = options.now;

  return async (token) => {
    const known = verified.get(token);
    if (known) return known;
    if (!isCanonicalCompactJws(token)) throw invalidToken('The token is malformed or its signature is invalid');
    let payload: JWTPayload;
    try {
      const checks = now ? { ...verifyOptions, currentDate: new Date(now()) } : verifyOptions;
      payload = jwks ? (await jwtVerify(token, jwks, checks)).payload : (await jwtVerify(token, secret as Uint8Array, checks)).payload;
    } catch (error) {
      throw verificationProblem(error, jwks !== undefined);
    }
    // jose checks that `sub` is present, not that it is a usable string.
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw invalidToken('The token\'s "sub" claim must be a non-empty string');
    }
    const roles = payload[auth.rolesClaim];
    const validRoles = Array.isArray(roles) && roles.every((role) => typeof role === 'string') ? (roles as string[]) : [];
    if (!validRoles.includes(auth.requiredRole)) {
      throw new ProblemError('forbidden', {
        detail: `The token's "${auth.rolesClaim}" claim does not include the "${auth.requiredRole}" role`,
        headers: { 'WWW-Authenticate': `${REALM}, error="insufficient_scope"` },
      });
    }
    const principal: Principal = Object.freeze({ subject: payload.sub, roles: Object.freeze([...validRoles]) });
    // `exp` is required and checked by jose: a number of seconds.
    verified.set(token, principal, (payload.exp as number) * 1000);
    return principal;
  };
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/**
 * Three base64url segments in their one canonical spelling (no padding, unused trailing bits zero).
 * Decoders ignore those bits and a trailing `=`, so without this check up to four spellings of a
 * token verify: a changed byte must always mean a refused token (and a token has one identity).
 */
function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split('.');
  return segments.length === 3 && segments.every((s) => SEGMENT.test(s) && Buffer.from(s, 'base64url').toString('base64url') === s);
}

/** A 401 for a missing or malformed Authorization header (no error code, per RFC 6750 §3.1, when absent). */
export function missingTokenProblem(detail: string, malformed: boolean): ProblemError {
  return malformed ? invalidToken(detail) : new ProblemError('unauthorized', { detail, headers: { 'WWW-Authenticate': REALM } });
}

const KEY_SET_DOWN = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

function verificationProblem(error: unknown, usesJwks: boolean): ProblemError {
  // An unreachable or broken key set is the issuer's outage, not the caller's bad token.
  const keySetDown = error instanceof errors.JOSEError ? KEY_SET_DOWN.has(error.code) : usesJwks;
  if (keySetDown) {
    return new ProblemError('dependency_unavailable', {
      detail: "The token issuer's key set (JWKS) could not be fetched; try again shortly",
      cause: error,
    });
  }
  if (!(error instanceof errors.JOSEError)) throw error;
  return invalidToken(describeRejection(error), error);
}

function invalidToken(detail: string, cause?: unknown): ProblemError {
  return new ProblemError('unauthorized', { detail, headers: { 'WWW-Authenticate': `${REALM}, error="invalid_token"` }, cause });
}

function describeRejection(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The token is not valid yet (nbf)';
    if (error.reason === 'missing') return `The token has no "${error.claim}" claim`;
    return `The token's "${error.claim}" claim is not accepted`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's signing algorithm is not accepted";
  return 'The token is malformed or its signature is invalid';
}
