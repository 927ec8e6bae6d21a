import { describe, expect, it } from 'vitest';
import { CSRF_HEADER, SESSION_COOKIE } from '../../../src/api/auth/session-cookie.ts';
import { JWT_SECRET } from './support/config.ts';
import { problemOf, testApp, validProvision } from './support/harness.ts';
import { mintToken } from './support/tokens.ts';

const API_ROUTES: Array<[method: string, path: string]> = [
  ['POST', '/api/provisioning/provision'],
  ['POST', '/api/provisioning/validate'],
  ['GET', '/api/provisioning/generate-id?companyName=Acme'],
  ['POST', '/api/provisioning/acme-main/deprovision'],
  ['GET', '/api/provisioning/acme-main/status'],
  ['GET', '/api/provisioning/acme-main/credentials'],
  ['GET', '/api/tenants'],
  ['GET', '/api/jobs/some-job'],
  ['GET', '/api/jobs/some-job/events'],
];

describe('authentication on every /api route', () => {
  it.each(API_ROUTES)('%s %s answers 401 without a token and 403 without the role', async (method, path) => {
    const t = await testApp();
    t.registry.seed('acme-main');
    t.kube.putAdmin('tenant-acme-main', 'acme-main', 'admin', 'pw');
    const body = method === 'POST' ? validProvision : undefined;
    const anonymous = await t.call(path, { method, body, token: null });
    expect((await problemOf(anonymous, 401)).type).toBe('tag:tenant-provisioner,2026:problem:unauthorized');
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    await problemOf(await t.call(path, { method, body, token: await mintToken({ roles: ['support'] }) }), 403);
    await problemOf(await t.call(path, { method, body, token: await mintToken({}, 'another-secret-of-at-least-32-characters') }), 401);
    expect(t.registry.tenants.size).toBe(1);
    expect(t.queue.jobs.size).toBe(0);
  });

  it('leaves health, readiness, the OpenAPI document and the docs page open', async () => {
    const t = await testApp();
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
      expect((await t.call(path, { token: null })).status, path).toBe(200);
    }
  });

  it("accepts the admin page's session cookie, requiring the CSRF header for changes", async () => {
    const t = await testApp();
    const cookie = { Cookie: `${SESSION_COOKIE}=${t.token}` };
    expect((await t.call('/api/tenants', { token: null, headers: cookie })).status).toBe(200);
    await problemOf(await t.call('/api/provisioning/provision', { token: null, headers: cookie, body: validProvision }), 401);
    expect(t.registry.calls).toEqual(['list 50']);
    const res = await t.call('/api/provisioning/provision', { token: null, headers: { ...cookie, [CSRF_HEADER]: '1' }, body: validProvision });
    expect(res.status).toBe(202);
  });

  it('does not take a token from the query string', async () => {
    const t = await testApp();
    await problemOf(await t.call(`/api/tenants?access_token=${t.token}`, { token: null }), 401);
  });
});

describe('body limit', () => {
  it('answers 413 by Content-Length before anything is created', async () => {
    const t = await testApp({ config: (c) => void (c.http.bodyLimitBytes = 1024) });
    const big = { ...validProvision, companyName: 'x'.repeat(2_000) };
    const problem = await problemOf(await t.call('/api/provisioning/provision', { body: big }), 413);
    expect(problem.type).toBe('tag:tenant-provisioner,2026:problem:payload_too_large');
    expect(problem.detail).toMatch(/1024 bytes/);
    expect(t.registry.calls).toEqual([]);
    expect(t.redis.keys().filter((k) => k.includes(':idem:'))).toEqual([]);
  });

  it('answers 413 for a chunked body that grows past the limit', async () => {
    const t = await testApp({ config: (c) => void (c.http.bodyLimitBytes = 1024) });
    const chunk = new TextEncoder().encode(' '.repeat(512));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await t.app.request('/api/provisioning/provision', {
      method: 'POST',
      headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await problemOf(res, 413);
    expect(sent).toBeLessThan(10);
    expect(t.registry.calls).toEqual([]);
  });
});

describe('rate limit per subject', () => {
  it("answers 429 with Retry-After past the window's budget, for that subject only", async () => {
    const t = await testApp({ config: (c) => void (c.http.rateLimit = { windowSeconds: 60, maxRequests: 3 }) });
    for (let i = 0; i < 3; i += 1) expect((await t.call('/api/tenants')).status).toBe(200);
    const limited = await t.call('/api/tenants');
    expect((await problemOf(limited, 429)).type).toBe('tag:tenant-provisioner,2026:problem:rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const other = await mintToken({ sub: 'someone-else' });
    expect((await t.call('/api/tenants', { token: other })).status).toBe(200);
  });

  it('lets requests through when Redis cannot count them', async () => {
    const t = await testApp({ config: (c) => void (c.http.rateLimit = { windowSeconds: 60, maxRequests: 1 }) });
    t.redis.down = true;
    expect((await t.call('/api/tenants')).status).toBe(200);
    expect((await t.call('/api/tenants')).status).toBe(200);
  });
});

describe('request ids and logs', () => {
  it("echoes a caller's X-Request-Id, generates one otherwise, and puts it in problems", async () => {
    const t = await testApp();
    const echoed = await t.call('/healthz', { headers: { 'X-Request-Id': 'trace-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123');
    const problem = await t.call('/api/tenants', { token: null });
    const id = problem.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await problem.json()) as { requestId?: string }).requestId).toBe(id);
  });

  it('writes one access line per request with the request id, and never the token, bodies or credentials', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    t.kube.putAdmin('tenant-acme-main', 'acme-main', 'admin', 'Sup3r-S3cret-Passw0rd');
    await t.call('/api/provisioning/acme-main/credentials', { headers: { 'X-Request-Id': 'req-creds' } });
    await t.call('/api/provisioning/provision', { body: { ...validProvision, companyName: 'Body Marker Co' } });
    const lines = t.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = lines.filter((l) => l['msg'] === 'request');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({
      requestId: 'req-creds',
      method: 'GET',
      path: '/api/provisioning/acme-main/credentials',
      status: 200,
      subject: 'ops@example.com',
    });
    const all = t.logLines.join('\n');
    expect(all).not.toContain('Sup3r-S3cret-Passw0rd');
    expect(all).not.toContain(t.token);
    expect(all).not.toContain(JWT_SECRET);
    expect(all).not.toMatch(/authorization/i);
    expect(all).not.toContain('Body Marker Co');
  });
});

describe('errors', () => {
  it('answers unknown routes with a 404 problem', async () => {
    const t = await testApp();
    expect((await problemOf(await t.call('/nowhere', { token: null }), 404)).detail).toMatch(/No route/);
  });

  it('answers malformed JSON with a client error problem, not a 500', async () => {
    const t = await testApp();
    const res = await t.call('/api/provisioning/provision', { rawBody: '{"companyName":', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
