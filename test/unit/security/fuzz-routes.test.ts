import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../../src/api/auth/session-cookie.ts';
import { JWT_SECRET } from '../api/support/config.ts';
import { forgedTokens } from './support/forged-tokens.ts';
import { badRequestFor, headerValue } from './support/bad-requests.ts';
import { DONE_JOB, fuzzApp, TENANT, type FuzzApp, type OpenApiOperation } from './support/fuzz-app.ts';

// Every operation of the OpenAPI document (so a route added later is fuzzed too), with odd path
// parameters, queries, headers, methods and bodies; then the Authorization header itself.
const RUNS = { operations: 2_600, authorization: 700 };
const TIMEOUT = 120_000;

let f: FuzzApp;
let ops: OpenApiOperation[];
beforeAll(async () => {
  f = await fuzzApp();
  ops = await f.operations();
});

describe('fuzzed requests to every route', () => {
  it('the OpenAPI document lists every route group, each /api route but the Stripe webhook behind the bearer scheme', () => {
    const api = ops.filter((op) => op.path.startsWith('/api/'));
    expect(api.length).toBeGreaterThanOrEqual(12);
    expect(api.filter((op) => !op.bearer).map((op) => `${op.method} ${op.path}`)).toEqual(['POST /api/webhooks/stripe']);
  });

  it(
    `${RUNS.operations} bad requests across the operations: no 5xx, problems for errors, nothing queued or written`,
    async () => {
      const before = f.requests();
      const seen = new Set<string>();
      const request = fc.constantFrom(...ops).chain((op) => badRequestFor(op, f.t.config.platform.baseDomain).map((r) => ({ op, r })));
      await fc.assert(
        fc.asyncProperty(request, async ({ op, r }) => {
          seen.add(`${op.method} ${op.path}`);
          const res = await f.send(r);
          if (res.status < 300) {
            // Reads and the verdict of /validate may succeed; nothing that changes state may.
            expect(r.method === 'GET' || r.path.startsWith('/api/provisioning/validate'), `${r.method} ${r.path} → ${res.status}`).toBe(true);
          }
          expect(f.sideEffects()).toEqual([]);
        }),
        { numRuns: RUNS.operations },
      );
      expect(f.requests() - before).toBe(RUNS.operations);
      expect([...seen].sort()).toEqual(ops.map((op) => `${op.method} ${op.path}`).sort());
    },
    TIMEOUT,
  );

  it(
    `${RUNS.authorization} forged or malformed credentials on bearer routes: 401 or 403, nothing written`,
    async () => {
      const before = f.requests();
      const valid = f.t.token;
      const forged = await forgedTokens({ kind: 'secret', secret: JWT_SECRET }, { rolesClaim: 'roles', role: 'superadmin' });
      const token = fc.oneof(
        fc.constantFrom(...forged.map((t) => t.token)),
        fc.constantFrom(`${valid}.`, `${valid}A`, valid.slice(0, -1), ` ${valid.replace('.', '. ')}`),
        fc.stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}$/),
        headerValue,
      );
      const credentials = fc.oneof(
        token.map((t) => ({ headers: { Authorization: `Bearer ${t}` } })),
        fc
          .tuple(fc.constantFrom('Basic', 'Token', 'JWT', 'Bearer:', 'Bearer\t', ''), fc.constantFrom(valid, ...forged.map((t) => t.token)))
          .map(([scheme, t]) => ({ headers: { Authorization: `${scheme} ${t}`.trim() } })),
        fc.constantFrom(
          { headers: { Authorization: `Bearer ${valid} ${valid}` } },
          { headers: { Authorization: `Bearer ${valid},${valid}` } },
          { headers: { Authorization: 'Bearer' } },
        ),
        token.map((t) => ({ headers: { Cookie: `${SESSION_COOKIE}=${t}` } })),
        fc.constant({ headers: {}, query: `?access_token=${valid}&token=${valid}&jwt=${valid}` }),
      );
      const bearerOps = ops.filter((op) => op.bearer);
      const pathOf = (op: OpenApiOperation) => op.path.replace('{tenantId}', TENANT).replace('{jobId}', DONE_JOB);
      // The control: the real token gets past authentication on every one of these routes (changes go to
      // a tenant that does not exist, with an empty body, so they end in a 4xx of their own and change nothing).
      for (const op of bearerOps) {
        const path = op.method === 'GET' ? pathOf(op) : op.path.replace('{tenantId}', 'nx-control');
        const res = await f.send({ method: op.method, path, headers: { 'Content-Type': 'application/json' }, body: op.method === 'GET' ? undefined : '{}' });
        expect([401, 403], `${op.method} ${op.path} with the real token`).not.toContain(res.status);
      }
      const target = fc.constantFrom(...bearerOps).map((op) => ({ op, path: pathOf(op) }));
      await fc.assert(
        fc.asyncProperty(target, credentials, async ({ op, path }, c) => {
          // A session cookie only counts for safe methods without the CSRF header, so changes are refused either way.
          const res = await f.send({
            method: op.method,
            path: `${path}${'query' in c ? c.query : ''}`,
            headers: { ...c.headers, 'Content-Type': 'application/json' },
            body: op.method === 'GET' ? undefined : '{}',
            authenticated: false,
          });
          expect([401, 403], `${op.method} ${path} with ${JSON.stringify(c).slice(0, 200)} → ${res.status}`).toContain(res.status);
          expect(f.sideEffects()).toEqual([]);
        }),
        { numRuns: RUNS.authorization },
      );
      expect(f.requests() - before).toBe(RUNS.authorization + bearerOps.length);
    },
    TIMEOUT,
  );
});
