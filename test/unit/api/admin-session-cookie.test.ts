import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createAdminRoutes } from '../../../src/api/admin/admin.routes.ts';
import { createJwtVerifier } from '../../../src/api/auth/jwt-verifier.ts';
import { SESSION_COOKIE } from '../../../src/api/auth/session-cookie.ts';
import { testConfig } from './support/config.ts';
import { mintToken } from './support/tokens.ts';

/** The admin routes as the composition root mounts them, configured from `config`. */
function adminApp(env: Record<string, string> = {}) {
  const config = testConfig(undefined, env);
  return new Hono().route('/admin', createAdminRoutes({ verifier: createJwtVerifier(config.auth), queues: [], insecureCookies: config.admin.insecureCookies }));
}

async function signIn(app: Hono, url: string) {
  const res = await app.request(url, { method: 'POST', headers: { Authorization: `Bearer ${await mintToken()}` } });
  expect(res.status).toBe(204);
  return res.headers.get('set-cookie')!;
}

describe('the admin session cookie', () => {
  it('is Secure by default even when the request URL is http (TLS ended at the ingress)', async () => {
    const cookie = await signIn(adminApp(), 'http://provisioner.internal/admin/session');
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(cookie.split(/;\s*/)).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']));
    const out = await adminApp().request('http://provisioner.internal/admin/logout', { method: 'POST' });
    expect(out.headers.get('set-cookie')!.split(/;\s*/)).toContain('Secure');
  });

  it('drops Secure only when configured for plain-HTTP development (ADMIN_INSECURE_COOKIES=true)', async () => {
    const cookie = await signIn(adminApp({ ADMIN_INSECURE_COOKIES: 'true' }), 'http://127.0.0.1:3000/admin/session');
    expect(cookie.split(/;\s*/)).not.toContain('Secure');
    expect(cookie.split(/;\s*/)).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict']));
    expect(testConfig(undefined, { ADMIN_INSECURE_COOKIES: 'false' }).admin.insecureCookies).toBe(false);
    expect(testConfig().admin.insecureCookies).toBe(false);
    expect(() => testConfig(undefined, { ADMIN_INSECURE_COOKIES: 'yes' })).toThrow(/admin\.insecureCookies/);
  });
});
