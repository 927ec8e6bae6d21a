import type { MiddlewareHandler } from 'hono';
import { type JwtVerifier, missingTokenProblem, type Principal } from './jwt-verifier.ts';
import { CSRF_HEADER, readSessionToken } from './session-cookie.ts';

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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Requires `Authorization: Bearer <JWT>` and puts the verified principal on the context. The token
 * is taken from the header only: a query-string token would end up in access logs and browser
 * history. With `allowSession`, the admin page's session cookie is accepted instead (for changes
 * only together with the CSRF header, which a cross-site page cannot send).
 */
export function bearerAuth(verify: JwtVerifier, options: { allowSession?: boolean } = {}): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (header === undefined || header.trim() === '') {
      const session = options.allowSession ? readSessionToken(c) : undefined;
      if (session === undefined || session.length > MAX_TOKEN_LENGTH) {
        throw missingTokenProblem('An Authorization: Bearer token is required', false);
      }
      if (!SAFE_METHODS.has(c.req.method) && c.req.header(CSRF_HEADER) !== '1') {
        throw missingTokenProblem(`A session-authenticated change needs the ${CSRF_HEADER}: 1 header`, true);
      }
      c.set('principal', await verify(session));
      await next();
      return;
    }
    const match = header.length <= MAX_TOKEN_LENGTH + 16 ? BEARER.exec(header.trim()) : null;
    if (!match?.[1]) throw missingTokenProblem('The Authorization header must be "Bearer <token>"', true);
    c.set('principal', await verify(match[1]));
    await next();
  };
}
