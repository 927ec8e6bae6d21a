import { describe, expect, it } from 'vitest';
import { PROBLEM_CODES } from '../../../src/api/errors/problem-codes.ts';
import { problemOf, testApp, validProvision } from './support/harness.ts';
import { mintToken } from './support/tokens.ts';

// What the contract test (Schemathesis against the running service) found, pinned at the unit level.

describe('undeclared methods', () => {
  it('are answered 405 with Allow on every documented path, /healthz included', async () => {
    const t = await testApp();
    const cases: Array<[string, string, string]> = [
      ['PATCH', '/healthz', 'GET, HEAD'],
      ['DELETE', '/readyz', 'GET, HEAD'],
      ['OPTIONS', '/api/provisioning/generate-id', 'GET, HEAD'],
      ['GET', '/api/provisioning/provision', 'POST'],
      // Concrete paths before templated ones, as OpenAPI matches them: validate's path is not a tenant's.
      ['PUT', '/api/provisioning/validate', 'POST'],
      ['DELETE', '/api/provisioning/acme-auto-3f9a1c', 'PUT'],
      ['POST', '/api/jobs/some-job/events', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await t.call(path, { method, token: null });
      expect((await problemOf(res, 405)).type, `${method} ${path}`).toBe(PROBLEM_CODES.method_not_allowed.type);
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
  });

  it('leave declared methods and unknown paths alone', async () => {
    const t = await testApp();
    expect((await t.call('/healthz', { method: 'HEAD' })).status).toBe(200);
    expect((await t.call('/api/provisioning/acme-auto-3f9a1c', { method: 'PUT', body: { subscriptionTier: 'enterprise' } })).status).toBe(404);
    expect((await t.call('/nowhere', { method: 'PATCH' })).status).toBe(404);
  });
});

describe('requests the document allows', () => {
  it('validate answers 200 for any body, an array or none at all, as documented', async () => {
    const t = await testApp();
    for (const init of [{ body: [null, null] }, { body: 0 }, { method: 'POST' }, { rawBody: 'not json', headers: { 'Content-Type': 'application/json' } }]) {
      const res = await t.call('/api/provisioning/validate', init);
      expect(res.status, JSON.stringify(init)).toBe(200);
      expect(((await res.json()) as { valid: boolean }).valid).toBe(false);
    }
  });

  it('refuses a body that is not an object with 422, and one that is not JSON with 400 (both documented)', async () => {
    const t = await testApp();
    expect((await t.call('/api/provisioning/provision', { body: 0 })).status).toBe(422);
    const notJson = await t.call('/api/provisioning/provision', { rawBody: '\u0000', headers: { 'Content-Type': 'application/json' } });
    expect(notJson.status).toBe(400);
    const doc = (await (await t.call('/openapi.json')).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths['/api/provisioning/provision']!['post']!.responses)).toEqual(expect.arrayContaining(['400', '422']));
    expect(Object.keys(doc.paths['/api/provisioning/{tenantId}']!['put']!.responses)).toEqual(expect.arrayContaining(['400', '422']));
  });

  it('provision accepts names with surrounding space (trimmed), and refuses route words as tenant ids', async () => {
    const t = await testApp();
    expect((await t.call('/api/provisioning/provision', { body: { ...validProvision, companyName: '\u00a0 Acme ' } })).status).toBe(202);
    for (const tenantId of ['validate', 'provision', 'generate-id']) {
      const problem = await problemOf(await t.call('/api/provisioning/provision', { body: { ...validProvision, tenantId } }), 422);
      expect(problem.errors).toEqual([{ path: 'tenantId', message: `"${tenantId}" is reserved for the API's own paths` }]);
    }
  });
});

describe('links and examples', () => {
  it('every operation has an operationId and request examples; 202s link to the job, events and status; the job to the tenant operations', async () => {
    const t = await testApp();
    type Operation = {
      operationId?: string;
      parameters?: Array<{ schema: { example?: unknown } }>;
      requestBody?: { content: Record<string, { example?: unknown }> };
      responses: Record<string, { links?: Record<string, { operationId: string }>; content?: Record<string, { example?: unknown }> }>;
    };
    const doc = (await (await t.call('/openapi.json')).json()) as { paths: Record<string, Record<string, Operation>> };
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    for (const op of operations) {
      expect(op.operationId).toBeDefined();
      for (const p of op.parameters ?? []) expect(p.schema.example, op.operationId).toBeDefined();
      for (const media of Object.values(op.requestBody?.content ?? {})) expect(media.example, op.operationId).toBeDefined();
      const success = Object.entries(op.responses).find(([status]) => status.startsWith('2'))![1];
      for (const media of Object.values(success.content ?? {})) expect(media.example, op.operationId).toBeDefined();
    }
    const linksOf = (path: string, method: string, status: string) =>
      Object.values(doc.paths[path]![method]!.responses[status]!.links ?? {})
        .map((l) => l.operationId)
        .sort();
    expect(linksOf('/api/provisioning/provision', 'post', '202')).toEqual(['followJobEvents', 'getJob', 'getTenantStatus']);
    expect(linksOf('/api/jobs/{jobId}', 'get', '200')).toEqual([
      'createTenantBackup',
      'createTenantExport',
      'deprovisionTenant',
      'getTenantCredentials',
      'getTenantStatus',
      'hibernateTenant',
      'listTenantBackups',
      'listTenantExports',
      'pinTenantVersion',
      'restoreTenant',
      'resumeTenant',
      'rollbackTenant',
      'undeleteTenant',
      'unpinTenantVersion',
      'updateTenant',
    ]);
  });
});

describe('per-subject rate limits (http.rateLimit.subjects)', () => {
  it('give a named subject its own budget and leave everyone else on the default', async () => {
    const t = await testApp({ config: (c) => void (c.http.rateLimit = { windowSeconds: 60, maxRequests: 1, subjects: { 'contract-test': 5 } }) });
    const tester = await mintToken({ sub: 'contract-test' });
    for (let i = 0; i < 5; i += 1) expect((await t.call('/api/tenants', { token: tester })).status).toBe(200);
    expect((await t.call('/api/tenants', { token: tester })).status).toBe(429);
    expect((await t.call('/api/tenants')).status).toBe(200);
    expect((await t.call('/api/tenants')).status).toBe(429);
  });
});
