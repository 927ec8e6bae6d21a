import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../../src/api/auth/session-cookie.ts';
import { JWT_SECRET } from '../api/support/config.ts';
import { forgedTokens } from './support/forged-tokens.ts';
import { headerValue } from './support/bad-requests.ts';
import { notAnObject } from './support/bad-bodies.ts';
import { optionLike } from './support/bad-values.ts';
import { fuzzApp, WEBHOOK_SECRET, type FuzzApp } from './support/fuzz-app.ts';

// The two ways in that take no bearer token: the Stripe webhook (its signature authenticates) and
// the admin sign-in and pages (the session cookie). Forged or broken input is refused, never 5xx,
// answered as a problem, and neither schedules billing work nor hands out a session.
const RUNS = { webhook: 700, admin: 700 };
const TIMEOUT = 120_000;

let f: FuzzApp;
beforeAll(async () => {
  f = await fuzzApp();
});

const sign = (body: string, secret: string, at: number) => `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

const subscriptionEvent = fc
  .record({
    id: fc.oneof(fc.stringMatching(/^evt_[A-Za-z0-9]{1,20}$/), fc.string({ maxLength: 10 })),
    type: fc.constantFrom('customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted', 'invoice.paid', '__proto__'),
    created: fc.oneof(fc.integer(), fc.constant(now())),
    data: fc.record({
      object: fc.record({
        id: fc.constantFrom('sub_1', 'sub_x'),
        customer: fc.constantFrom('cus_1', '--kubeconfig=x'),
        status: fc.constantFrom('active', 'canceled', '__proto__'),
      }),
    }),
  })
  .map((e) => JSON.stringify(e));

describe('fuzzed unauthenticated entry points', () => {
  it(
    `POST /api/webhooks/stripe: ${RUNS.webhook} unsigned, mis-signed, replayed or tampered deliveries are refused with 400`,
    async () => {
      const before = f.requests();
      const body = fc.oneof(subscriptionEvent, notAnObject);
      const signature = (payload: string) =>
        fc.oneof(
          fc.constant(undefined),
          fc.constantFrom('', 't=', 'v1=', 't=1,v1=00', `t=${now()}`, `t=${now()},v1=`, `t=${now()},v0=${'0'.repeat(64)}`),
          headerValue,
          optionLike,
          // Right secret, stale timestamp (a replay); wrong secret; right secret over other bytes (tampered).
          // (A timestamp in the future passes, as with Stripe's own SDK; only the secret's holder can make
          // one, and the event-id ledger drops a replayed event anyway.)
          fc.integer({ min: 301, max: 10 ** 7 }).map((age) => sign(payload, WEBHOOK_SECRET, now() - age)),
          fc.constant(sign(payload, 'whsec_attacker', now())),
          fc.constant(sign(`${payload} `, WEBHOOK_SECRET, now())),
          fc.constant(`${sign(payload, 'whsec_attacker', now())},v1=${'f'.repeat(64)}`),
        );
      const delivery = body.chain((b) => signature(b).map((s) => ({ body: b, signature: s })));
      await fc.assert(
        fc.asyncProperty(delivery, fc.constantFrom('application/json', 'text/plain', ''), async ({ body: payload, signature: sig }, type) => {
          const headers: Record<string, string> = {};
          if (type !== '') headers['Content-Type'] = type;
          if (sig !== undefined) headers['Stripe-Signature'] = sig;
          const res = await f.send({ method: 'POST', path: '/api/webhooks/stripe', headers, body: payload, authenticated: false });
          expect(res.status, res.body).toBe(400);
          expect(f.sideEffects()).toEqual([]);
        }),
        { numRuns: RUNS.webhook },
      );
      expect(f.requests() - before).toBe(RUNS.webhook);
    },
    TIMEOUT,
  );

  it(
    `/admin: ${RUNS.admin} forged sign-ins and session cookies get no session and no page`,
    async () => {
      const before = f.requests();
      const forged = fc.oneof(
        fc.constantFrom(...(await forgedTokens({ kind: 'secret', secret: JWT_SECRET }, { rolesClaim: 'roles', role: 'superadmin' })).map((t) => t.token)),
        headerValue,
        optionLike,
      );
      const request = fc.oneof(
        forged.map((t) => ({ method: 'POST', path: '/admin/session', headers: { Authorization: `Bearer ${t}` } as Record<string, string> })),
        fc
          .tuple(forged, fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json', 'text/plain'))
          .map(([t, type]) => ({
            method: 'POST',
            path: '/admin/session',
            headers: { 'Content-Type': type } as Record<string, string>,
            body: type.startsWith('application/x-www')
              ? `token=${encodeURIComponent(t)}`
              : type.startsWith('multipart')
                ? `--x\r\nContent-Disposition: form-data; name="token"\r\n\r\n${t}\r\n--x--\r\n`
                : JSON.stringify({ token: t }),
          })),
        fc
          .tuple(
            forged,
            fc.constantFrom(
              '/admin',
              '/admin/',
              '/admin/queues',
              '/admin/queues/',
              '/admin/queues/api/queues',
              '/admin/queues/api/redis/stats',
              '/admin/queues/api/queues/operations/1',
            ),
            fc.constantFrom('text/html', 'application/json', '*/*'),
          )
          .map(([t, path, accept]) => ({
            method: 'GET',
            path,
            headers: { Cookie: `${SESSION_COOKIE}=${encodeURIComponent(t)}`, Accept: accept } as Record<string, string>,
          })),
        fc
          .tuple(
            forged,
            fc.constantFrom(
              '/admin/queues/api/queues/retry/failed',
              '/admin/queues/api/queues/operations/clean/completed',
              '/admin/queues/api/queues/operations/pause',
            ),
          )
          .map(([t, path]) => ({ method: 'PUT', path, headers: { Cookie: `${SESSION_COOKIE}=${encodeURIComponent(t)}` } as Record<string, string> })),
      );
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const res = await f.send({ ...r, authenticated: false });
          const location = res.headers.get('location') ?? '';
          // Browsers asking for a page are sent to the sign-in page; everything else is refused (401, or 404 for no such page).
          const redirectedToLogin = res.status === 303 && location.startsWith('/admin/login');
          expect(redirectedToLogin || res.status === 401 || res.status === 404, `${r.method} ${r.path} → ${res.status} ${location}`).toBe(true);
          const cookie = res.headers.get('set-cookie') ?? '';
          expect(cookie === '' || new RegExp(`^${SESSION_COOKIE}=;`).test(cookie), `a failed sign-in set ${cookie}`).toBe(true);
          expect(f.sideEffects()).toEqual([]);
        }),
        { numRuns: RUNS.admin },
      );
      expect(f.requests() - before).toBe(RUNS.admin);
      // The control: the real token does sign in, and its cookie opens the page.
      const signIn = await f.send({ method: 'POST', path: '/admin/session', headers: { Authorization: `Bearer ${f.t.token}` }, authenticated: false });
      expect(signIn.status).toBe(204);
      expect(signIn.headers.get('set-cookie')).toContain(`${SESSION_COOKIE}=${f.t.token}`);
      const page = await f.send({ method: 'GET', path: '/admin', headers: { Cookie: `${SESSION_COOKIE}=${f.t.token}` }, authenticated: false });
      expect(page.status).toBe(200);
    },
    TIMEOUT,
  );
});
