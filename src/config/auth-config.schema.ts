import { z } from 'zod';

const HmacAlgorithm = z.enum(['HS256', 'HS384', 'HS512']);
const AsymmetricAlgorithm = z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Bearer JWT settings. Exactly one key source: a shared secret (HMAC) or a JWKS URL (public keys).
 * Algorithms are pinned per source, so a token cannot pick its own (`none`, or HS256 "signed" with a
 * public key) — the classic algorithm-confusion attacks.
 */
export const AuthConfig = z
  .strictObject({
    jwtSecret: z
      .string()
      .min(32, 'must be at least 32 characters (256 bits) for HMAC signing')
      .refine((s) => !s.trimStart().startsWith('-----BEGIN'), 'is a PEM key; public keys belong behind AUTH_JWKS_URL')
      .optional()
      .describe('Shared HMAC secret tokens are signed with (AUTH_JWT_SECRET); exclusive with jwksUrl'),
    jwksUrl: z
      .url({ protocol: /^https?$/ })
      .refine(isHttpsOrLoopback, 'must use https (plain http only on loopback)')
      .optional()
      .describe('JSON Web Key Set of the token issuer (AUTH_JWKS_URL); exclusive with jwtSecret'),
    issuer: z.string().min(1).optional().describe('Required `iss` claim, checked when set (AUTH_JWT_ISSUER)'),
    audience: z.string().min(1).optional().describe('Required `aud` claim, checked when set (AUTH_JWT_AUDIENCE)'),
    requiredRole: z.string().min(1).describe('Role the roles claim must contain for every /api route'),
    rolesClaim: z.string().min(1).describe("Name of the claim holding the caller's roles (an array of strings)"),
    algorithms: z
      .strictObject({
        secret: z.array(HmacAlgorithm).min(1).describe('Algorithms accepted with jwtSecret'),
        jwks: z.array(AsymmetricAlgorithm).min(1).describe('Algorithms accepted with jwksUrl'),
      })
      .describe('Pinned JWS algorithms per key source'),
    clockToleranceSeconds: z.int().min(0).max(300).describe('Leeway for exp and nbf against clock skew'),
  })
  .superRefine((auth, ctx) => {
    const sources = [auth.jwtSecret, auth.jwksUrl].filter((v) => v !== undefined).length;
    if (sources === 1) return;
    const message =
      sources === 0
        ? 'set exactly one of AUTH_JWT_SECRET or AUTH_JWKS_URL; every /api route needs a way to verify tokens'
        : 'set only one of AUTH_JWT_SECRET or AUTH_JWKS_URL, not both';
    ctx.addIssue({ code: 'custom', path: ['jwtSecret'], message });
  })
  .describe('Bearer JWT authentication of /api');
export type AuthConfig = z.infer<typeof AuthConfig>;

function isHttpsOrLoopback(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || LOOPBACK_HOSTS.has(parsed.hostname);
  } catch {
    return false;
  }
}
