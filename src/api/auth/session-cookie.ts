import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/**
 * The browser way in: a superadmin exchanges its bearer token for this HttpOnly, SameSite=Strict
 * cookie holding that same token (already signed and expiring), so no second secret exists and
 * the session ends when the token does. Scripts on the page can never read it.
 */
export const SESSION_COOKIE = 'tp_session';

/**
 * Cookie-authenticated requests that change something must carry this header: a cross-site form
 * cannot set it, and the API allows no cross-origin requests that could.
 */
export const CSRF_HEADER = 'X-TP-Session';

export function readSessionToken(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/**
 * `insecure` (config `admin.insecureCookies`) is for plain-HTTP development only. The request URL
 * cannot decide it: behind a TLS-terminating ingress the service sees http while the browser is on
 * https, and a cookie carrying a superadmin token must then still never travel over plain HTTP.
 */
export type SessionCookieOptions = { insecure?: boolean };

export function setSession(c: Context, token: string, expiresAt: Date, options: SessionCookieOptions = {}): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: options.insecure !== true,
    path: '/',
    expires: expiresAt,
  });
}

export function clearSession(c: Context, options: SessionCookieOptions = {}): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: options.insecure !== true });
}
