import { describe, expect, it } from 'vitest';
import { problemOf, testApp } from './support/harness.ts';

describe('/healthz and /readyz', () => {
  it('answers healthz always and readyz when Redis and the cluster answer', async () => {
    const t = await testApp();
    t.redis.down = true;
    expect(await (await t.call('/healthz', { token: null })).json()).toEqual({ status: 'ok' });
    t.redis.down = false;
    expect(await (await t.call('/readyz', { token: null })).json()).toEqual({ status: 'ok', checks: { redis: 'ok', kubernetes: 'ok' } });
  });

  it('answers readyz 503 naming what failed', async () => {
    const t = await testApp();
    t.redis.down = true;
    expect((await problemOf(await t.call('/readyz', { token: null }), 503)).detail).toMatch(/redis/);
    t.redis.down = false;
    t.kube.state.versionError = new Error('ECONNREFUSED');
    expect((await problemOf(await t.call('/readyz', { token: null }), 503)).detail).toMatch(/kubernetes/);
  });

  it('answers readyz 503 quickly when Redis hangs', async () => {
    const t = await testApp();
    t.redis.hang = true;
    const started = Date.now();
    await problemOf(await t.call('/readyz', { token: null }), 503);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; parameters?: Array<{ name: string; in: string }> }>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
};

describe('/openapi.json and /docs', () => {
  it('describes every route from the zod schemas, with bearer security on /api', async () => {
    const t = await testApp();
    const doc = (await (await t.call('/openapi.json', { token: null })).json()) as OpenApiDoc;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/fleet',
      '/api/jobs/{jobId}',
      '/api/jobs/{jobId}/events',
      '/api/provisioning/generate-id',
      '/api/provisioning/provision',
      '/api/provisioning/validate',
      '/api/provisioning/{tenantId}',
      '/api/provisioning/{tenantId}/credentials',
      '/api/provisioning/{tenantId}/deprovision',
      '/api/provisioning/{tenantId}/hibernate',
      '/api/provisioning/{tenantId}/pin',
      '/api/provisioning/{tenantId}/resume',
      '/api/provisioning/{tenantId}/status',
      '/api/rollouts',
      '/api/rollouts/{rolloutId}',
      '/api/rollouts/{rolloutId}/abort',
      '/api/rollouts/{rolloutId}/events',
      '/api/rollouts/{rolloutId}/pause',
      '/api/rollouts/{rolloutId}/resume',
      '/api/templates',
      '/api/tenants',
      '/api/tenants/{tenantId}/backups',
      '/api/tenants/{tenantId}/exports',
      '/api/tenants/{tenantId}/exports/{exportId}',
      '/api/tenants/{tenantId}/restore',
      '/api/tenants/{tenantId}/rollback',
      '/api/tenants/{tenantId}/template',
      '/api/tenants/{tenantId}/undelete',
      '/healthz',
      '/readyz',
    ]);
    expect(doc.components.securitySchemes['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const operation of Object.values(methods)) {
        expect(operation.security, path).toEqual(path.startsWith('/api/') ? [{ bearerAuth: [] }] : []);
        if (path.startsWith('/api/')) expect(Object.keys(operation.responses), path).toEqual(expect.arrayContaining(['401', '403', '429', '500']));
      }
    }
    expect(Object.keys(doc.paths['/api/provisioning/provision']!['post']!.responses)).toEqual(expect.arrayContaining(['202', '409', '413', '422', '503']));
    expect(doc.paths['/api/provisioning/provision']!['post']!.parameters).toEqual([expect.objectContaining({ name: 'idempotency-key', in: 'header' })]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['ProvisionRequest', 'JobAccepted', 'TenantStatus', 'Job', 'Problem', 'TenantList', 'FleetVersions', 'PinRequest', 'VersionPin']),
    );
  });

  it('serves an API reference page for the document', async () => {
    const t = await testApp();
    const res = await t.call('/docs', { token: null });
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('/openapi.json');
  });
});
