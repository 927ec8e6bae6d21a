import type { MiddlewareHandler } from 'hono';
import { CSRF_HEADER } from '../auth/session-cookie.ts';
import { ProblemError } from '../errors/problem-error.ts';
import { problemResponse } from '../errors/problem.handlers.ts';

/** Where Bull Board is mounted; its pages use it as their `<base href>`. */
export const BOARD_BASE_PATH = '/admin/queues';
/** Served beside Bull Board's pages (under the same session check): teaches its UI the CSRF header. */
export const BOARD_SESSION_SCRIPT = 'tp-session.js';

/**
 * Bull Board's changes (retry, clean, promote, remove, pause, obliterate…) are authenticated by the
 * session cookie alone, which a cross-site form would carry: like the API, they need the CSRF
 * header too, checked before Bull Board sees the request.
 */
export const requireBoardCsrfHeader: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.header(CSRF_HEADER) === '1') return next();
  return problemResponse(c, new ProblemError('forbidden', { detail: `A change through Bull Board needs the ${CSRF_HEADER}: 1 header` }));
};

/**
 * Bull Board's UI sends its requests with axios (XMLHttpRequest in a browser) and offers no option
 * to add a header, so this script, loaded before the UI's deferred bundles, adds it to every
 * same-origin change the page makes (fetch too, should a later axios switch adapters).
 */
export const boardSessionScript = `(() => {
  'use strict';
  const header = ${JSON.stringify(CSRF_HEADER)};
  const isChange = (method, url) =>
    !/^(GET|HEAD|OPTIONS)$/i.test(method || 'GET') && new URL(String(url), location.href).origin === location.origin;
  const changes = new WeakSet();
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    if (isChange(method, url)) changes.add(this);
    else changes.delete(this);
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (body) {
    if (changes.has(this)) this.setRequestHeader(header, '1');
    return send.call(this, body);
  };
  const fetchOriginal = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const request = new Request(input, init);
    if (!isChange(request.method, request.url)) return fetchOriginal(request);
    const headers = new Headers(request.headers);
    headers.set(header, '1');
    return fetchOriginal(new Request(request, { headers }));
  };
})();
`;

/**
 * Adds the session script, and the headers of our own pages (CSP and the rest), to every HTML page
 * Bull Board serves. A page without `</head>` (a future Bull Board) keeps working read-only: its
 * changes are refused with 403, never let through.
 */
export function withBoardPageHeaders(pageHeaders: Readonly<Record<string, string>>): MiddlewareHandler {
  const tag = `<script src="${BOARD_BASE_PATH}/${BOARD_SESSION_SCRIPT}"></script>`;
  return async (c, next) => {
    await next();
    if (!c.res.headers.get('Content-Type')?.startsWith('text/html')) return;
    const html = (await c.res.text()).replace('</head>', `${tag}</head>`);
    const headers = new Headers(c.res.headers);
    headers.delete('Content-Length');
    for (const [name, value] of Object.entries(pageHeaders)) headers.set(name, value);
    const status = c.res.status;
    // Unset first: Hono's setter would otherwise copy the old headers (a stale Content-Length) back.
    c.res = undefined;
    c.res = new Response(html, { status, headers });
  };
}
