import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appRoutes } from '@bull-board/api/dist/routes.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SESSION_COOKIE } from '../../../src/api/auth/session-cookie.ts';
import { RolloutRequest } from '../../../src/domain/rollout.ts';
import { OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import { ensureTenantSecrets } from '../../../src/kubernetes/tenant-secrets.ts';
import { ownPrefixes } from '../../support/config-override.ts';
import { forgedTokens, rsaIssuer, validToken, type ForgedToken, type TokenClaims, type TokenKeys } from '../../unit/security/support/forged-tokens.ts';
import { TEST_JWT_SECRET } from '../../support/service-deps.ts';
import { startStack, type Stack } from './support/stack.ts';
import { newTenant } from '../../support/new-tenant.ts';

// The forged-token matrix against the service as composed for production (src/composition), once
// with an HS256 secret and once with an RS256 key set fetched over HTTP: on every route of the
// OpenAPI document, SSE included, and every /admin route, Bull Board's API included (the session
// cookie is the carrier there), each forged, expired, mis-addressed, role-less or byte-mutated
// token, no token at all and a token only in the query string are all refused with 401/403. The
// targets are real (a tenant namespace, a queued job, valid bodies), so a hole would show as a 2xx
// and a side effect, which is checked too.
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const ISSUER = 'https://id.test.example';
const AUDIENCE = 'tenant-provisioner';
const claims: TokenClaims = { issuer: ISSUER, audience: AUDIENCE, rolesClaim: 'roles', role: 'superadmin' };
/** Routes anyone may call; every other route must be in the matrix (a new one fails the inventory test). */
const PUBLIC = [
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'GET /metrics',
  'GET /admin/login',
  'POST /admin/logout',
  'POST /api/webhooks/stripe',
];

type Target = { method: string; path: string; body?: string; carrier: 'bearer' | 'cookie'; kind: string };
type Mode = { name: string; keys: TokenKeys; stack: Stack; tenantId: string; jobId: string; rolloutId: string };

let jwksServer: Server;
const modes: Mode[] = [];

async function setUp(name: string, keys: TokenKeys, env: Record<string, string>): Promise<Mode> {
  const stack = await startStack({
    kubeconfig,
    redisUrl,
    api: true,
    override: ownPrefixes('sec'),
    env: { AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE, STRIPE_WEBHOOK_SECRET: 'whsec_matrix_test', ...env },
  });
  // Real targets: a tenant namespace and a queued job (no worker runs, so the job stays queued).
  const tenantId = `mx-${name}-${Math.random().toString(16).slice(2, 6)}`;
  await stack.shared.registry.create(
    newTenant(tenantId, { companyName: 'Matrix Garage', operation: { type: 'provision', jobId: 'seed', state: 'completed', at: new Date().toISOString() } }),
  );
  await ensureTenantSecrets(stack.shared.kube.core, {
    namespace: stack.shared.registry.namespaceOf(tenantId),
    tenantId,
    databaseOwner: 'app',
    adminUsername: 'admin',
  });
  const job = await stack.queue!.add('provision', { tenantId }, { jobId: `job-${tenantId}` });
  // A real, paused rollout: a forged resume, abort or new rollout would show in its state or the list.
  const rolloutId = randomBytes(5).toString('hex');
  const at = new Date().toISOString();
  await stack.shared.rollouts.create({
    id: rolloutId,
    createdAt: at,
    createdBy: 'matrix',
    request: RolloutRequest.parse({ target: { appVersion: 'v2' }, selector: { tenantIds: [tenantId] } }),
    waves: [{ name: 'canary', tenantIds: [tenantId], canary: true }],
    skipped: [],
    state: 'paused',
    waveIndex: 0,
    bakeUntil: null,
    tenants: { [tenantId]: { state: 'waiting' } },
    updatedAt: at,
  });
  return { name, keys, stack, tenantId, jobId: job.id!, rolloutId };
}

beforeAll(async () => {
  const issuer = await rsaIssuer();
  jwksServer = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(issuer.jwks)));
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', () => resolve()));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  modes.push(await setUp('hs', { kind: 'secret', secret: TEST_JWT_SECRET }, {}));
  modes.push(await setUp('rs', issuer.keys, { AUTH_JWKS_URL: jwksUrl }));
});

afterAll(async () => {
  for (const m of modes) {
    await m.stack.shared.registry.delete(m.tenantId).catch(() => undefined);
    await m.stack.close();
  }
  await new Promise((resolve) => jwksServer?.close(resolve));
});

const VALID_BODIES: Record<string, unknown> = {
  ProvisionRequest: {
    companyName: 'Forged Garage',
    ownerEmail: 'owner@example.com',
    ownerFirstName: 'Eve',
    ownerLastName: 'Mallory',
    subscriptionTier: 'free',
  },
  UpdateRequest: { subscriptionTier: 'professional' },
  PinRequest: { version: { chart: '0.1.0', app: 'forged' }, reason: 'forged pin' },
  RolloutRequest: { target: { appVersion: 'forged' } },
};

/** Every bearer operation of the served OpenAPI document, with real ids and bodies that would succeed. */
async function apiTargets(m: Mode): Promise<{ targets: Target[]; open: string[] }> {
  const doc = (await (await fetch(`${m.stack.baseUrl}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { security?: unknown[]; requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>>;
  };
  const targets: Target[] = [];
  const open: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const route = `${method.toUpperCase()} ${path}`;
      if (!JSON.stringify(op.security ?? []).includes('bearerAuth')) {
        open.push(route);
        continue;
      }
      const schema = op.requestBody ? Object.values(op.requestBody.content)[0]?.schema.$ref?.split('/').at(-1) : undefined;
      const filled =
        path
          .replace('{tenantId}', m.tenantId)
          .replace('{jobId}', m.jobId)
          .replace('{rolloutId}', m.rolloutId)
          .replace('{exportId}', `${m.tenantId}-20261201000000-0000`) + (path.endsWith('/generate-id') ? '?companyName=Forged%20Garage' : '');
      targets.push({
        method: method.toUpperCase(),
        path: filled,
        carrier: 'bearer',
        kind: route,
        ...(schema ? { body: JSON.stringify(VALID_BODIES[schema]) } : {}),
      });
    }
  }
  return { targets, open };
}

/** /admin's pages and every route Bull Board registers (from its own route table), cookie-authenticated. */
function adminTargets(m: Mode): Target[] {
  const fill = (route: string) =>
    route.replace(':queueName', OPERATIONS_QUEUE).replace(':jobId', m.jobId).replace(':queueStatus', 'completed').replace(':schedulerId', 'none');
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  const board = [
    ...list(appRoutes.entryPoint.route).map((route) => ({ method: 'GET', route })),
    ...appRoutes.api.flatMap((r) => list(r.method).flatMap((method) => list(r.route).map((route) => ({ method: method.toUpperCase(), route })))),
  ];
  return [
    { method: 'GET', path: '/admin', carrier: 'cookie', kind: 'GET /admin' },
    ...board.map((b) => ({
      method: b.method,
      path: `/admin/queues${fill(b.route)}`.replace(/\/$/, ''),
      carrier: 'cookie' as const,
      kind: `${b.method} /admin/queues${b.route}`,
      ...(b.method === 'GET' ? {} : { body: '{}' }),
    })),
  ];
}

async function send(m: Mode, t: Target, credential: { token?: string; query?: string }): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (t.body !== undefined) headers['Content-Type'] = 'application/json';
  if (credential.token !== undefined) {
    if (t.carrier === 'bearer') headers['Authorization'] = `Bearer ${credential.token}`;
    else headers['Cookie'] = `${SESSION_COOKIE}=${credential.token}`;
  }
  const url = `${m.stack.baseUrl}${t.path}${credential.query ? `${t.path.includes('?') ? '&' : '?'}${credential.query}` : ''}`;
  const abort = new AbortController();
  const res = await fetch(url, { method: t.method, headers, signal: abort.signal, ...(t.body === undefined ? {} : { body: t.body }) });
  // An event stream would stay open: the status is what matters.
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) abort.abort();
  else await res.arrayBuffer();
  return res;
}

describe.each(['hs', 'rs'])('forged tokens (%s)', (name) => {
  const mode = () => modes.find((m) => m.name === name)!;

  it('covers every route the app serves: each is in the matrix or on the public list', async () => {
    const m = mode();
    const { targets, open } = await apiTargets(m);
    expect(targets.length).toBeGreaterThanOrEqual(12);
    expect(open.sort()).toEqual(['GET /healthz', 'GET /readyz', 'POST /api/webhooks/stripe']);
    const covered = new Set([...targets.map((t) => t.kind), ...PUBLIC, 'GET /admin', 'POST /admin/session'].map((k) => k.replace(/\{[^}]+\}/g, ':p')));
    // Hono's own route list: anything mounted without documentation, or outside /admin, shows up here.
    const served = m.stack
      .app!.routes.filter((r) => r.method !== 'ALL' && !r.path.startsWith('/admin/queues'))
      .map((r) => `${r.method} ${r.path.replace(/:[A-Za-z]+/g, ':p')}`);
    // The API reference's own script and style sheet are as public as the /docs page that loads them.
    const publicAsset = (route: string) => route.startsWith('GET /docs/assets/');
    expect(served.filter((route) => !covered.has(route) && !publicAsset(route))).toEqual([]);
  });

  it('refuses every forged, expired, mis-addressed, role-less and byte-mutated token on every API route, SSE included', async () => {
    const m = mode();
    const { targets } = await apiTargets(m);
    const forged = await forgedTokens(m.keys, claims);
    expect(forged.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const t of targets) {
      for (const f of forged) {
        const res = await send(m, t, { token: f.token });
        if (res.status !== f.status) wrong.push(`${t.kind} with ${f.name}: ${res.status}, expected ${f.status}`);
      }
      const anonymous = await send(m, t, {});
      if (anonymous.status !== 401) wrong.push(`${t.kind} with no token: ${anonymous.status}`);
      const good = await validToken(m.keys, claims);
      const inQuery = await send(m, t, { query: `access_token=${good}&token=${good}` });
      if (inQuery.status !== 401) wrong.push(`${t.kind} with the token only in the query string: ${inQuery.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses the same on /admin and every Bull Board route with the session cookie as the carrier, and /admin/session hands out no session', async () => {
    const m = mode();
    const forged = await forgedTokens(m.keys, claims);
    const wrong: string[] = [];
    const targets = adminTargets(m);
    expect(targets.length).toBeGreaterThan(30);
    for (const t of targets) {
      for (const f of [...forged, { name: 'no cookie', token: undefined } as unknown as ForgedToken]) {
        const res = await send(m, t, { token: f.token });
        if (res.status !== 401) wrong.push(`${t.kind} with ${f.name}: ${res.status}`);
      }
    }
    for (const f of forged) {
      const res = await fetch(`${m.stack.baseUrl}/admin/session`, { method: 'POST', headers: { Authorization: `Bearer ${f.token}` } });
      if (res.status !== 401 || (res.headers.get('set-cookie') ?? '').includes(f.token)) wrong.push(`POST /admin/session with ${f.name}: ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('lets the real token through on each route (the control), and nothing the forged requests tried happened', async () => {
    const m = mode();
    const good = await validToken(m.keys, claims);
    const { targets } = await apiTargets(m);
    for (const t of targets.filter((x) => x.method === 'GET')) {
      const res = await send(m, t, { token: good });
      if (t.kind === 'GET /api/tenants/{tenantId}/exports/{exportId}') {
        // An export needs a backup store, which this tier has not: the handler's own 404 shows the token got through.
        expect(res.status, t.kind).toBe(404);
        const again = await fetch(`${m.stack.baseUrl}${t.path}`, { headers: { Authorization: `Bearer ${good}` } });
        expect(((await again.json()) as { detail: string }).detail, t.kind).toMatch(/no backup store/);
      } else expect(res.status, t.kind).toBe(200);
    }
    for (const t of adminTargets(m).filter((x) => x.method === 'GET' && !x.kind.includes(':jobId'))) {
      const res = await send(m, t, { token: good });
      expect(res.status, t.kind).toBeLessThan(400);
    }
    const signIn = await fetch(`${m.stack.baseUrl}/admin/session`, { method: 'POST', headers: { Authorization: `Bearer ${good}` } });
    expect(signIn.status).toBe(204);
    // Hundreds of requests that would provision, update, hibernate, resume, deprovision, retry, clean or obliterate: none did.
    const counts = await m.stack.queue!.getJobCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
    expect(await m.stack.queue!.getJobState(m.jobId)).toBe('waiting');
    const tenant = await m.stack.shared.registry.get(m.tenantId);
    expect(tenant).toMatchObject({ tier: 'free', terminating: false, operation: { jobId: 'seed', state: 'completed' } });
    // No forged pin was recorded (a pin writes the namespace and queues nothing, so the queue cannot show it).
    expect(tenant?.pin).toBeUndefined();
    // No forged rollout was created, and the paused one was neither resumed nor aborted.
    expect((await m.stack.shared.rollouts.list()).map((r) => [r.id, r.state])).toEqual([[m.rolloutId, 'paused']]);
    const prefix = m.stack.config.platform.namespacePrefix;
    const namespaces = await m.stack.shared.kube.core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata!.name!).filter((n) => n.startsWith(prefix))).toEqual([m.stack.shared.registry.namespaceOf(m.tenantId)]);
  });
});
