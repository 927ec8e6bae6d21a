import { describe, expect, it } from 'vitest';
import type { JobAccepted } from '../../../src/api/provisioning/provisioning.schemas.ts';
import { keyedPlan } from '../../../src/services/provisioning-service.ts';
import { kubeError } from './support/fake-cluster.ts';
import { problemOf, testApp, validProvision } from './support/harness.ts';

const provision = '/api/provisioning/provision';

describe('provision: validation', () => {
  it('answers 422 problem+json naming every bad field', async () => {
    const t = await testApp();
    const res = await t.call(provision, {
      body: { ...validProvision, companyName: '', ownerEmail: 'not-an-email', resourceOverrides: { apiReplicas: 99 }, colour: 'red' },
    });
    const problem = await problemOf(res, 422);
    expect(problem.type).toBe('tag:tenant-provisioner,2026:problem:validation_failed');
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(['colour', 'companyName', 'ownerEmail', 'resourceOverrides.apiReplicas']);
    expect(t.registry.calls).toEqual([]);
  });

  it("refuses a custom domain under the platform's base domain", async () => {
    const t = await testApp();
    const res = await t.call(provision, { body: { ...validProvision, customDomain: `evil.${t.config.platform.baseDomain}` } });
    const problem = await problemOf(res, 422);
    expect(problem.errors).toEqual([{ path: 'customDomain', message: expect.stringContaining('belong to the platform') }]);
  });

  it('refuses a tenant id that is not a DNS label, a missing body and a bad Idempotency-Key', async () => {
    const t = await testApp();
    expect((await problemOf(await t.call(provision, { body: { ...validProvision, tenantId: 'Bad_Id' } }), 422)).errors?.[0]?.path).toBe('tenantId');
    expect((await t.call(provision, { method: 'POST', headers: { 'Content-Type': 'application/json' } })).status).toBeGreaterThanOrEqual(400);
    const badKey = await t.call(provision, { body: validProvision, headers: { 'Idempotency-Key': 'has space' } });
    expect((await problemOf(badKey, 422)).errors?.[0]?.path).toBe('idempotency-key');
    expect(t.registry.calls).toEqual([]);
  });
});

describe('provision: conflicts', () => {
  it('answers 409 for a tenant id that is taken', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    const problem = await problemOf(await t.call(provision, { body: { ...validProvision, tenantId: 'acme-main' } }), 409);
    expect(problem.errors).toEqual([{ path: 'tenantId', message: 'is already taken' }]);
    expect(t.queue.jobs.size).toBe(0);
  });

  it('answers 422 idempotency_mismatch for a key reused with another body', async () => {
    const t = await testApp();
    const headers = { 'Idempotency-Key': 'order-42' };
    expect((await t.call(provision, { body: validProvision, headers })).status).toBe(202);
    const problem = await problemOf(await t.call(provision, { body: { ...validProvision, companyName: 'Other Co' }, headers }), 422);
    expect(problem.type).toBe('tag:tenant-provisioner,2026:problem:idempotency_mismatch');
    expect(t.registry.tenants.size).toBe(1);
  });

  it('answers 409 with Retry-After while a request with the same key is still running', async () => {
    const t = await testApp();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const create = t.registry.create.bind(t.registry);
    t.registry.create = async (tenant) => {
      await gate;
      return create(tenant);
    };
    const headers = { 'Idempotency-Key': 'slow' };
    const first = t.call(provision, { body: validProvision, headers });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await t.call(provision, { body: validProvision, headers });
    expect((await problemOf(second, 409)).detail).toMatch(/still being processed/);
    expect(second.headers.get('retry-after')).toBe('1');
    open();
    expect((await first).status).toBe(202);
    expect(t.registry.tenants.size).toBe(1);
  });
});

describe('provision: dependencies', () => {
  it('answers 503 when Redis is down, before anything is created in the cluster', async () => {
    const t = await testApp();
    t.redis.down = true;
    const problem = await problemOf(await t.call(provision, { body: validProvision }), 503);
    expect(problem.type).toBe('tag:tenant-provisioner,2026:problem:dependency_unavailable');
    expect(t.registry.calls).toEqual([]);
  });

  it('answers 503 within about 2 s when Redis does not answer at all', async () => {
    const t = await testApp();
    t.redis.hang = true;
    const started = Date.now();
    await problemOf(await t.call(provision, { body: validProvision, headers: { 'Idempotency-Key': 'k' } }), 503);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(t.registry.calls).toEqual([]);
  });

  it('deletes the namespace it created and answers 503 when the job cannot be queued; a retry then works', async () => {
    const t = await testApp();
    t.queue.enqueueError = new Error('Connection is closed.');
    const headers = { 'Idempotency-Key': 'retry-me' };
    const problem = await problemOf(await t.call(provision, { body: validProvision, headers }), 503);
    expect(problem.detail).toMatch(/Redis/);
    const { tenantId } = keyedPlan(validProvision, 'ops@example.com', 'retry-me');
    expect(t.registry.calls).toEqual([`create ${tenantId}`, `read ${tenantId}`, `delete ${tenantId}`]);
    expect(t.registry.tenants.size).toBe(0);

    t.queue.enqueueError = undefined;
    expect((await t.call(provision, { body: validProvision, headers })).status).toBe(202);
    expect(t.registry.tenants.size).toBe(1);
  });

  it('answers 503 when the cluster is unreachable, and a generic 500 when it refuses us', async () => {
    const t = await testApp();
    t.registry.failWith = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' });
    await problemOf(await t.call(provision, { body: validProvision }), 503);
    t.registry.failWith = kubeError(403);
    const problem = await problemOf(await t.call(provision, { body: validProvision }), 500);
    expect(JSON.stringify(problem)).not.toMatch(/HTTP-Code|403/);
    expect(t.queue.jobs.size).toBe(0);
  });
});

describe('deprovision, status, credentials: errors', () => {
  it('answers 404 for an unknown tenant on every tenant route', async () => {
    const t = await testApp();
    await problemOf(await t.call('/api/provisioning/nobody-here/deprovision', { method: 'POST' }), 404);
    await problemOf(await t.call('/api/provisioning/nobody-here/status'), 404);
    const credentials = await t.call('/api/provisioning/nobody-here/credentials');
    await problemOf(credentials, 404);
    expect(credentials.headers.get('cache-control')).toBe('no-store');
    expect(t.queue.jobs.size).toBe(0);
  });

  it('answers 404 for credentials not created yet', async () => {
    const t = await testApp();
    t.registry.seed('acme-new');
    expect((await problemOf(await t.call('/api/provisioning/acme-new/credentials'), 404)).detail).toMatch(/no admin credentials yet/);
  });

  it('answers 422 for a malformed tenant id in the path', async () => {
    const t = await testApp();
    expect((await problemOf(await t.call('/api/provisioning/NOT_VALID/status'), 422)).errors?.[0]?.path).toBe('tenantId');
  });

  it('puts the previous operation back when the deprovision job cannot be queued', async () => {
    const t = await testApp();
    const before = t.registry.seed('acme-main').operation;
    t.queue.enqueueError = new Error('Connection is closed.');
    await problemOf(await t.call('/api/provisioning/acme-main/deprovision', { method: 'POST' }), 503);
    expect(t.registry.tenants.get('acme-main')?.operation).toEqual(before);
  });

  it('answers 503 for deprovision while Redis is down, leaving the tenant untouched', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    t.redis.down = true;
    await problemOf(await t.call('/api/provisioning/acme-main/deprovision', { method: 'POST' }), 503);
    expect(t.registry.calls).toEqual([]);
  });

  it('answers 503 when Helm cannot report the release', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    t.helm.status = async () => {
      throw new Error('helm status failed: Kubernetes cluster unreachable');
    };
    await problemOf(await t.call('/api/provisioning/acme-main/status'), 503);
  });
});

describe('generate-id: errors', () => {
  it('requires companyName', async () => {
    const t = await testApp();
    expect((await problemOf(await t.call('/api/provisioning/generate-id'), 422)).errors?.[0]?.path).toBe('companyName');
  });
});

describe('a rejected provision leaves no job behind', () => {
  it('keeps the queue empty after 409 and 422', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    await t.call(provision, { body: { ...validProvision, tenantId: 'acme-main' } });
    await t.call(provision, { body: { ...validProvision, ownerEmail: 'x' } });
    const ok = (await (await t.call(provision, { body: validProvision })).json()) as JobAccepted;
    expect([...t.queue.jobs.keys()]).toEqual([ok.jobId]);
  });
});
