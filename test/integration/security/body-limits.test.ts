import { appRoutes } from '@bull-board/api/dist/routes.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CSRF_HEADER, SESSION_COOKIE } from '../../../src/api/auth/session-cookie.ts';
import { OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import { ownPrefixes } from '../../support/config-override.ts';
import { TEST_JWT_SECRET } from '../../support/service-deps.ts';
import { mintToken } from '../../unit/api/support/tokens.ts';
import { sendChunked } from './support/chunked.ts';
import { startStack, type Stack } from './support/stack.ts';
import { newTenant } from '../../support/new-tenant.ts';

// A 10 MB chunked body (no Content-Length: the server can only count while reading) to every route
// that takes a body, on the service as composed for production over real Redis and the sandbox:
// 413 as a problem, answered long before the 10 MB are sent, and nothing written first (no
// namespace, no job, no idempotency key, no change to the tenant, no billing record).
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const TEN_MB = 10 * 1024 * 1024;

let stack: Stack;
let token: string;
let tenantId: string;

type Target = { method: string; path: string; headers: Record<string, string>; limit: number; kind: string };

beforeAll(async () => {
  stack = await startStack({ kubeconfig, redisUrl, api: true, override: ownPrefixes('bl'), env: { STRIPE_WEBHOOK_SECRET: 'whsec_body_limit_test' } });
  token = await mintToken({ sub: 'body-limit@example.com' }, TEST_JWT_SECRET);
  tenantId = `bl-${Math.random().toString(16).slice(2, 8)}`;
  await stack.shared.registry.create(
    newTenant(tenantId, {
      companyName: 'Body Limit Garage',
      operation: { type: 'provision', jobId: 'seed', state: 'completed', at: new Date().toISOString() },
    }),
  );
});

afterAll(async () => {
  await stack?.shared.registry.delete(tenantId).catch(() => undefined);
  await stack?.close();
});

/** Every POST, PUT and PATCH route: the OpenAPI document's, /admin's and Bull Board's. */
async function targets(): Promise<Target[]> {
  const doc = (await (await fetch(`${stack.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
  const apiLimit = stack.config.http.bodyLimitBytes;
  const bearer = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': `idem-${tenantId}` };
  const cookie = { Cookie: `${SESSION_COOKIE}=${token}`, [CSRF_HEADER]: '1', 'Content-Type': 'application/json' };
  const list: Target[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['post', 'put', 'patch'].includes(method)) continue;
      const secured = JSON.stringify(op.security ?? []).includes('bearerAuth');
      list.push({
        method: method.toUpperCase(),
        path: path.replace('{tenantId}', tenantId),
        limit: apiLimit,
        kind: `${method.toUpperCase()} ${path}`,
        headers: secured ? bearer : { 'Content-Type': 'application/json', 'Stripe-Signature': 't=1,v1=00' },
      });
    }
  }
  // The admin page calls the API with its cookie and the CSRF header: the same limit applies on that path.
  list.push({
    method: 'POST',
    path: '/api/provisioning/provision',
    headers: cookie,
    limit: apiLimit,
    kind: 'POST /api/provisioning/provision (session cookie)',
  });
  list.push({
    method: 'POST',
    path: '/admin/session',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    limit: 16 * 1024,
    kind: 'POST /admin/session',
  });
  list.push({
    method: 'POST',
    path: '/admin/logout',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    limit: 16 * 1024,
    kind: 'POST /admin/logout',
  });
  for (const r of appRoutes.api) {
    for (const method of [r.method].flat()) {
      if (method === 'get') continue;
      const route = [r.route]
        .flat()[0]!
        .replace(':queueName', OPERATIONS_QUEUE)
        .replace(':jobId', 'none')
        .replace(':queueStatus', 'completed')
        .replace(':schedulerId', 'none');
      list.push({
        method: method.toUpperCase(),
        path: `/admin/queues${route}`,
        headers: { Cookie: `${SESSION_COOKIE}=${token}`, 'Content-Type': 'application/json' },
        limit: apiLimit,
        kind: `${method.toUpperCase()} /admin/queues${[r.route].flat()[0]}`,
      });
    }
  }
  return list;
}

describe('a 10 MB chunked body', () => {
  it('is refused with 413 on every route that takes a body, before the server has read it and before anything is written', async () => {
    const all = await targets();
    expect(all.filter((t) => t.kind.startsWith('PUT /api') || t.kind.startsWith('POST /api')).length).toBeGreaterThanOrEqual(7);
    expect(all.filter((t) => t.kind.startsWith('PUT /admin/queues')).length).toBeGreaterThan(10);
    const wrong: string[] = [];
    for (const t of all) {
      const answer = await sendChunked(`${stack.baseUrl}${t.path}`, t.method, t.headers, TEN_MB);
      const type = String(answer.headers['content-type'] ?? '');
      if (answer.status !== 413 || type !== 'application/problem+json') wrong.push(`${t.kind}: ${answer.status} ${type} ${answer.body.slice(0, 120)}`);
      // Refused while reading: the server stopped at its limit, far from the 10 MB the client was sending.
      if (answer.sentWhenAnswered >= TEN_MB / 2) wrong.push(`${t.kind}: answered only after ${answer.sentWhenAnswered} bytes were sent`);
    }
    expect(wrong).toEqual([]);

    const counts = await stack.queue!.getJobCounts();
    expect(
      Object.values(counts).every((n) => n === 0),
      JSON.stringify(counts),
    ).toBe(true);
    const prefix = stack.config.queue.prefix;
    expect(await stack.shared.historyRedis.keys(`${prefix}:idem:*`)).toEqual([]);
    expect(await stack.shared.historyRedis.keys(`${prefix}:billing:*`)).toEqual([]);
    const namespaces = (await stack.shared.kube.core.listNamespace()).items.map((n) => n.metadata!.name!);
    expect(namespaces.filter((n) => n.startsWith(stack.config.platform.namespacePrefix))).toEqual([stack.shared.registry.namespaceOf(tenantId)]);
    expect(await stack.shared.registry.get(tenantId)).toMatchObject({ tier: 'free', operation: { jobId: 'seed', state: 'completed' } });
  });

  it('from an anonymous caller is answered 401 without being read', async () => {
    const answer = await sendChunked(`${stack.baseUrl}/api/provisioning/provision`, 'POST', { 'Content-Type': 'application/json' }, TEN_MB);
    expect(answer.status).toBe(401);
    expect(answer.sentWhenAnswered).toBeLessThan(TEN_MB / 2);
  });
});
