import type { MiddlewareHandler } from 'hono';
import { type JwtVerifier, missingTokenProblem, type Principal } from './jwt-verifier.ts';

/** Context variables set by `bearerAuth`: handlers read `c.var.principal.subject`. */
export interface AuthVariables {
  principal: Principal;
}
export interface AuthEnv {
  Variables: AuthVariables;
}

// Far above any real token; bounds the work an anonymous caller can make us do.
const MAX_TOKEN_LENGTH = 8192;
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Requires `Authorization: Bearer <JWT>` and puts the verified principal on the context. The token
 * is taken from the header only: a query-string token would end up in access logs and browser history.
 */
export function bearerAuth(verify: JwtVerifier): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (header === undefined || header.trim() === '') {
      throw missingTokenProblem('An Authorization: Bearer token is required', false);
    }
    const match = header.length <= MAX_TOKEN_LENGTH + 16 ? BEARER.exec(header.trim()) : null;
    if (!match?.[1]) throw missingTokenProblem('The Authorization header must be "Bearer <token>"', true);
    c.set('principal', await verify(match[1]));
    await next();
  };
}
