import { describe, expect, it } from 'vitest';
import type { GeneratedId, JobAccepted, TenantStatus, ValidationReport } from '../../../src/api/provisioning/provisioning.schemas.ts';
import { JOB_CATALOG } from '../../../src/jobs/job-catalog.ts';
import { readyCertificate, readyDatabase, readyDeployment } from './support/fake-cluster.ts';
import { NOW, testApp, validProvision } from './support/harness.ts';

describe('POST /api/provisioning/provision (happy)', () => {
  it('records the tenant, queues a valid provision job and answers 202 with links and Location', async () => {
    const t = await testApp();
    const res = await t.call('/api/provisioning/provision', { body: validProvision });
    expect(res.status).toBe(202);
    const body = (await res.json()) as JobAccepted;
    expect(body).toEqual({
      jobId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenantId: 'acme-auto-repair-abc123',
      namespace: 'tenant-acme-auto-repair-abc123',
      state: 'queued',
      links: {
        job: `/api/jobs/${body.jobId}`,
        events: `/api/jobs/${body.jobId}/events`,
        status: '/api/provisioning/acme-auto-repair-abc123/status',
      },
    });
    expect(res.headers.get('location')).toBe(`/api/jobs/${body.jobId}`);

    const tenant = t.registry.tenants.get(body.tenantId);
    expect(tenant).toMatchObject({
      companyName: 'Acme Auto Repair',
      ownerName: 'Ada Lovelace',
      ownerEmail: 'owner@acme.test',
      expiresAt: null,
      desired: { tier: 'professional', customDomain: null, resourceOverrides: {}, hibernated: false },
      operation: { type: 'provision', jobId: body.jobId, state: 'queued', at: NOW.toISOString() },
    });
    const job = t.queue.jobs.get(body.jobId);
    expect(job?.name).toBe('provision');
    expect(JOB_CATALOG.provision.parse(job?.data)).toMatchObject({
      tenantId: body.tenantId,
      namespace: body.namespace,
      release: `tenant-${body.tenantId}`,
      requestedAt: NOW.toISOString(),
    });
    expect(JSON.stringify(job?.data)).not.toMatch(/password|secret/i);
  });

  it('uses a requested tenant id, custom domain, billing ids and overrides', async () => {
    const t = await testApp();
    const res = await t.call('/api/provisioning/provision', {
      body: {
        ...validProvision,
        tenantId: 'acme-main',
        customDomain: 'shop.acmeauto.com',
        stripeCustomerId: 'cus_123',
        stripeSubscriptionId: 'sub_456',
        resourceOverrides: { apiReplicas: 3 },
      },
    });
    expect(res.status).toBe(202);
    expect(t.registry.tenants.get('acme-main')).toMatchObject({
      customDomain: 'shop.acmeauto.com',
      stripeCustomerId: 'cus_123',
      desired: { customDomain: 'shop.acmeauto.com', resourceOverrides: { apiReplicas: 3 } },
    });
  });

  it("stamps a demo tenant's expiry from the tier", async () => {
    const t = await testApp();
    const res = await t.call('/api/provisioning/provision', { body: { ...validProvision, subscriptionTier: 'demo' } });
    const { tenantId, jobId } = (await res.json()) as JobAccepted;
    const days = t.config.tiers.demo.expiresAfterDays ?? 0;
    expect(days).toBeGreaterThan(0);
    const expected = new Date(NOW.getTime() + days * 86_400_000).toISOString();
    expect(t.registry.tenants.get(tenantId)?.expiresAt).toBe(expected);
    expect(t.queue.jobs.get(jobId)?.data['expiresAt']).toBe(expected);
  });

  it('replays the same 202 for the same Idempotency-Key and body, creating one tenant', async () => {
    const t = await testApp();
    const headers = { 'Idempotency-Key': 'order-42' };
    const first = await t.call('/api/provisioning/provision', { body: validProvision, headers });
    // Same body, keys in another order: still the same request.
    const reordered = Object.fromEntries(Object.entries(validProvision).reverse());
    const second = await t.call('/api/provisioning/provision', { body: reordered, headers });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(await second.json()).toEqual(await first.json());
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(t.registry.tenants.size).toBe(1);
    expect(t.queue.jobs.size).toBe(1);
    const [key] = t.redis.keys().filter((k) => k.startsWith(`${t.config.queue.prefix}:idem:`));
    expect(t.redis.ttlOf(key!)).toBe(24 * 3600 * 1000);
  });

  it('lets concurrent duplicates with one key create a single tenant', async () => {
    const t = await testApp();
    const headers = { 'Idempotency-Key': 'double-click' };
    const answers = await Promise.all([1, 2, 3].map(() => t.call('/api/provisioning/provision', { body: validProvision, headers })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect(t.registry.tenants.size).toBe(1);
    expect(t.queue.jobs.size).toBe(1);
  });
});

describe('POST /api/provisioning/{tenantId}/deprovision (happy)', () => {
  it('marks the operation first, then queues the deprovision job', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    const res = await t.call('/api/provisioning/acme-main/deprovision', { method: 'POST' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as JobAccepted;
    expect(body).toMatchObject({ tenantId: 'acme-main', namespace: 'tenant-acme-main', state: 'queued' });
    expect(t.registry.tenants.get('acme-main')?.operation).toMatchObject({ type: 'deprovision', jobId: body.jobId, state: 'queued' });
    expect(t.registry.calls).toContain('write acme-main deprovision:queued');
    expect(JOB_CATALOG.deprovision.parse(t.queue.jobs.get(body.jobId)?.data)).toEqual({
      tenantId: 'acme-main',
      namespace: 'tenant-acme-main',
      release: 'tenant-acme-main',
      requestedAt: NOW.toISOString(),
    });
  });

  it('returns the running deprovision job when asked again', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    const first = (await (await t.call('/api/provisioning/acme-main/deprovision', { method: 'POST' })).json()) as JobAccepted;
    const again = await t.call('/api/provisioning/acme-main/deprovision', { method: 'POST' });
    expect(again.status).toBe(202);
    expect(((await again.json()) as JobAccepted).jobId).toBe(first.jobId);
    expect(t.queue.jobs.size).toBe(1);
  });
});

/** acme-main as deployed and healthy: its release at `revision`, a ready database and both blue Deployments at 2 replicas. */
function deployAcmeMain(t: Awaited<ReturnType<typeof testApp>>, revision: number) {
  t.helm.releases.set('tenant-acme-main/tenant-acme-main', {
    name: 'tenant-acme-main',
    namespace: 'tenant-acme-main',
    revision,
    status: 'deployed',
    description: '',
  });
  t.cluster.databases.set('tenant-acme-main/acme-main-postgres', readyDatabase(1));
  t.cluster.deployments.set('tenant-acme-main/acme-main-api-blue', readyDeployment('acme-main-api-blue', 2));
  t.cluster.deployments.set('tenant-acme-main/acme-main-web-blue', readyDeployment('acme-main-web-blue', 2));
}

describe('GET /api/provisioning/{tenantId}/status (happy)', () => {
  it('reads release, database and deployments live and derives ready', async () => {
    const t = await testApp();
    t.registry.seed('acme-main', { customDomain: 'shop.acmeauto.com', stripeCustomerId: 'cus_1' });
    deployAcmeMain(t, 2);
    const certificate = readyCertificate('acme-main-tls');
    certificate.status = { ...certificate.status, notAfter: '2026-04-01T00:00:00Z', renewalTime: '2026-03-02T00:00:00Z' };
    t.cluster.certificates.set('tenant-acme-main/acme-main-tls', certificate);
    const res = await t.call('/api/provisioning/acme-main/status');
    expect(res.status).toBe(200);
    expect((await res.json()) as TenantStatus).toEqual({
      tenantId: 'acme-main',
      namespace: 'tenant-acme-main',
      tier: 'professional',
      phase: 'ready',
      ready: true,
      release: { status: 'deployed', revision: 2 },
      database: { ready: true, instances: 1, readyInstances: 1, phase: 'Cluster in healthy state' },
      api: { ready: true, replicas: 2, readyReplicas: 2 },
      web: { ready: true, replicas: 2, readyReplicas: 2 },
      certificate: { ready: true, reason: null, notAfter: '2026-04-01T00:00:00Z', renewalTime: '2026-03-02T00:00:00Z' },
      urls: {
        tenant: `https://acme-main.${t.config.platform.baseDomain}`,
        api: `https://acme-main.${t.config.platform.baseDomain}/api`,
        custom: 'https://shop.acmeauto.com',
      },
      customDomain: 'shop.acmeauto.com',
      expiresAt: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      stripeCustomerId: 'cus_1',
      stripeSubscriptionId: null,
      operation: { type: 'provision', jobId: 'job-acme-main', state: 'completed', at: '2026-01-01T00:01:00.000Z' },
      running: null,
      pin: null,
      postgresql: { parameters: {}, own: {} },
      labels: {},
      closed: null,
    });
  });

  it('reports a provision in progress with absent components', async () => {
    const t = await testApp();
    t.registry.seed('acme-new', { operation: { type: 'provision', jobId: 'j1', state: 'active', at: NOW.toISOString() } });
    const body = (await (await t.call('/api/provisioning/acme-new/status')).json()) as TenantStatus;
    expect(body).toMatchObject({
      phase: 'provisioning',
      ready: false,
      release: null,
      database: { ready: false, instances: 0, readyInstances: 0, phase: 'NotCreated' },
      api: { ready: false, replicas: 0, readyReplicas: 0 },
      certificate: { ready: false, reason: 'certificate not created yet', notAfter: null, renewalTime: null },
    });
  });

  it('reports degraded when a completed tenant has a component down', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    deployAcmeMain(t, 1);
    const down = readyDeployment('acme-main-web-blue', 2);
    down.status!.readyReplicas = 1;
    t.cluster.deployments.set('tenant-acme-main/acme-main-web-blue', down);
    const body = (await (await t.call('/api/provisioning/acme-main/status')).json()) as TenantStatus;
    expect(body).toMatchObject({ phase: 'degraded', ready: false, web: { ready: false, replicas: 2, readyReplicas: 1 } });
  });

  it('shows a certificate cert-manager has not issued, with its reason, without making the tenant unready', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    deployAcmeMain(t, 1);
    t.cluster.certificates.set('tenant-acme-main/acme-main-tls', {
      metadata: { name: 'acme-main-tls', generation: 1 },
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' }] },
    });
    const body = (await (await t.call('/api/provisioning/acme-main/status')).json()) as TenantStatus;
    expect(body).toMatchObject({
      phase: 'ready',
      certificate: { ready: false, reason: 'acme-main-tls not ready: DoesNotExist (Issuing certificate as Secret does not exist)', notAfter: null },
    });
  });
});

describe('GET /api/provisioning/{tenantId}/credentials (happy)', () => {
  it('returns the admin credentials from the tenant Secret, never cached', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    t.kube.putAdmin('tenant-acme-main', 'acme-main', 'admin', 's3cr3t-Pa55');
    const res = await t.call('/api/provisioning/acme-main/credentials');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ username: 'admin', password: 's3cr3t-Pa55' });
    expect(t.logLines.join('\n')).not.toContain('s3cr3t-Pa55');
  });
});

describe('POST /api/provisioning/validate (happy)', () => {
  it('accepts a good request with warnings and no errors', async () => {
    const t = await testApp();
    const res = await t.call('/api/provisioning/validate', { body: { ...validProvision, subscriptionTier: 'demo' } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expect(report.valid).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.warnings.join(' ')).toMatch(/expire/);
    expect(t.registry.tenants.size).toBe(0);
  });

  it('is still 200 for a body that fails the schema, naming each field', async () => {
    const t = await testApp();
    const res = await t.call('/api/provisioning/validate', { body: { ...validProvision, ownerEmail: 'nope', subscriptionTier: 'gold', extra: 1 } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expect(report.valid).toBe(false);
    expect(report.errors.map((e) => e.path).sort()).toEqual(['extra', 'ownerEmail', 'subscriptionTier']);
  });

  it('reports a taken id, a domain used by another tenant, and unreachable cluster and Helm', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    t.registry.seed('other-shop', { customDomain: 'shop.acmeauto.com' });
    await t.claims.claim('shop.acmeauto.com', 'other-shop');
    t.kube.state.versionError = new Error('connect ECONNREFUSED');
    t.helm.versionError = new Error('helm: not found');
    const res = await t.call('/api/provisioning/validate', { body: { ...validProvision, tenantId: 'acme-main', customDomain: 'shop.acmeauto.com' } });
    const report = (await res.json()) as ValidationReport;
    expect(report.valid).toBe(false);
    expect(Object.fromEntries(report.errors.map((e) => [e.path, e.message]))).toEqual({
      tenantId: 'is already taken',
      customDomain: 'is already used by tenant other-shop',
      cluster: expect.stringContaining('not reachable'),
      helm: expect.stringContaining('not usable'),
    });
  });

  it('answers a body that is not JSON with valid:false', async () => {
    const t = await testApp();
    const res = await t.call('/api/provisioning/validate', { rawBody: '{nope', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ valid: false, errors: [{ path: 'body', message: 'is not a JSON document' }], warnings: [] });
  });
});

describe('GET /api/provisioning/generate-id (happy)', () => {
  it('slugs the company name and appends 6 hex characters', async () => {
    const t = await testApp();
    const res = await t.call(`/api/provisioning/generate-id?companyName=${encodeURIComponent('Müller & Söhne GmbH')}`);
    expect(res.status).toBe(200);
    expect((await res.json()) as GeneratedId).toEqual({ tenantId: 'muller-sohne-gmbh-abc123' });
  });
});
