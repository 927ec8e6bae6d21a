import { readFileSync } from 'node:fs';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import { Hono, type Context, type Next } from 'hono';
import { decodeJwt } from 'jose';
import { missingTokenProblem, type JwtVerifier } from '../auth/jwt-verifier.ts';
import { clearSession, readSessionToken, setSession } from '../auth/session-cookie.ts';
import { problemResponse } from '../errors/problem.handlers.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { BOARD_BASE_PATH, BOARD_SESSION_SCRIPT, boardSessionScript, requireBoardCsrfHeader, withBoardPageHeaders } from './bull-board-session.ts';

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

export type AdminDeps = {
  verifier: JwtVerifier;
  queues: Queue[];
  /** Largest body Bull Board's own routes accept (default 1 MiB); the sign-in form has a small fixed limit. */
  bodyLimitBytes?: number;
  /** Config `admin.insecureCookies`: a session cookie without Secure, for plain-HTTP development only. */
  insecureCookies?: boolean;
};

// The sign-in form carries one token (at most 8 KiB, see auth.middleware.ts): anything larger is refused
// before it is read, since this route is open to anonymous callers.
const SIGN_IN_BODY_LIMIT = 16 * 1024;

// A page served to a browser: a CSP that allows only our own inline page script and same-origin calls.
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};
// Bull Board's pages locate their bundles through `<base href>`, so they may set a same-origin base.
const BOARD_PAGE_HEADERS = {
  ...PAGE_HEADERS,
  'Content-Security-Policy': PAGE_HEADERS['Content-Security-Policy'].replace("base-uri 'none'", "base-uri 'self'"),
};

/**
 * The admin page and Bull Board, behind the same superadmin authentication as the API. A browser
 * signs in by exchanging its bearer token for the session cookie (see session-cookie.ts).
 */
export function createAdminRoutes(deps: AdminDeps): Hono {
  const loginPage = asset('login.html');
  const adminPage = asset('admin.html');
  const app = new Hono();
  const cookie = { insecure: deps.insecureCookies === true };

  const requireSession = async (c: Context, next: Next) => {
    const token = readSessionToken(c);
    const ok =
      token !== undefined &&
      (await deps.verifier(token).then(
        () => true,
        () => false,
      ));
    if (ok) return next();
    if (c.req.method === 'GET' && c.req.header('Accept')?.includes('text/html')) return c.redirect('/admin/login', 303);
    // The API's one error vocabulary, here too (a hand-made body drifted from it).
    return problemResponse(c, missingTokenProblem('A signed-in admin session is required; sign in at /admin/login', token !== undefined));
  };

  app.get('/login', (c) => c.html(loginPage, 200, PAGE_HEADERS));
  app.use('/session', limitBody(SIGN_IN_BODY_LIMIT));
  app.use('/logout', limitBody(SIGN_IN_BODY_LIMIT));
  app.post('/session', async (c) => {
    const header = c.req.header('Authorization')?.match(/^Bearer +(\S+)$/i)?.[1];
    const form = header ? undefined : await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = header ?? (typeof form?.['token'] === 'string' ? form['token'].trim() : '');
    try {
      await deps.verifier(token);
    } catch {
      clearSession(c, cookie);
      return header ? problemResponse(c, missingTokenProblem('The token was not accepted', true)) : c.redirect('/admin/login?failed=1', 303);
    }
    const exp = decodeJwt(token).exp!;
    setSession(c, token, new Date(exp * 1000), cookie);
    return header ? c.body(null, 204) : c.redirect('/admin', 303);
  });
  app.post('/logout', (c) => {
    clearSession(c, cookie);
    return c.redirect('/admin/login', 303);
  });

  app.use('/', requireSession);
  app.get('/', (c) => c.html(adminPage, 200, PAGE_HEADERS));

  const board = new HonoAdapter(serveStatic).setBasePath(BOARD_BASE_PATH);
  createBullBoard({ queues: deps.queues.map((q) => new BullMQAdapter(q)), serverAdapter: board });
  // Session first (401), then the body limit (413) and the CSRF header on changes (403): nothing
  // reaches Bull Board's handlers, which retry, clean or remove jobs, without all three.
  app.use('/queues', requireSession, withBoardPageHeaders(BOARD_PAGE_HEADERS));
  app.use('/queues/*', requireSession, limitBody(deps.bodyLimitBytes ?? 1024 * 1024), requireBoardCsrfHeader, withBoardPageHeaders(BOARD_PAGE_HEADERS));
  app.get(`/queues/${BOARD_SESSION_SCRIPT}`, (c) =>
    c.body(boardSessionScript, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' }),
  );
  app.route('/queues', board.registerPlugin());
  return app;
}
