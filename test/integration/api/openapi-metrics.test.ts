import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../../scripts/dev-token.ts';
import { TEST_JWT_SECRET } from '../../support/service-deps.ts';
import { startServiceProcess } from '../../support/service-process.ts';

// The whole service as `provisioner all` runs it, so the document and the metrics are the real ones.
let service: Awaited<ReturnType<typeof startServiceProcess>>;
let token: string;
let tenantId: string | undefined;

beforeAll(async () => {
  service = await startServiceProcess({ kubeconfig: inject('kubeconfig'), redisUrl: inject('redisUrl') });
  token = await mintDevToken(TEST_JWT_SECRET, 1);
});

afterAll(async () => {
  if (tenantId) await fetch(`${service.baseUrl}/api/provisioning/${tenantId}/deprovision`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  await service?.stop();
});

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document listing every route with its error responses', async () => {
    const doc = (await (await fetch(`${service.baseUrl}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'DELETE /api/provisioning/{tenantId}/pin',
        'GET /api/fleet',
        'GET /api/jobs/{jobId}',
        'GET /api/jobs/{jobId}/events',
        'GET /api/provisioning/generate-id',
        'GET /api/provisioning/{tenantId}/credentials',
        'GET /api/provisioning/{tenantId}/status',
        'GET /api/tenants',
        'GET /healthz',
        'GET /readyz',
        'POST /api/provisioning/provision',
        'POST /api/provisioning/validate',
        'POST /api/provisioning/{tenantId}/deprovision',
        'POST /api/provisioning/{tenantId}/hibernate',
        'POST /api/provisioning/{tenantId}/resume',
        'POST /api/tenants/{tenantId}/rollback',
        'POST /api/tenants/{tenantId}/undelete',
        'GET /api/tenants/{tenantId}/backups',
        'POST /api/tenants/{tenantId}/backups',
        'POST /api/tenants/{tenantId}/restore',
        'GET /api/tenants/{tenantId}/exports',
        'POST /api/tenants/{tenantId}/exports',
        'GET /api/tenants/{tenantId}/exports/{exportId}',
        'PUT /api/tenants/{tenantId}/template',
        'DELETE /api/tenants/{tenantId}/template',
        'GET /api/templates',
        'GET /api/rollouts',
        'GET /api/rollouts/{rolloutId}',
        'GET /api/rollouts/{rolloutId}/events',
        'POST /api/rollouts',
        'POST /api/rollouts/{rolloutId}/pause',
        'POST /api/rollouts/{rolloutId}/resume',
        'POST /api/rollouts/{rolloutId}/abort',
        'POST /api/webhooks/stripe',
        'PUT /api/provisioning/{tenantId}',
        'PUT /api/provisioning/{tenantId}/pin',
      ].sort(),
    );
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const operation of Object.values(methods)) {
        if (path.startsWith('/api/') && path !== '/api/webhooks/stripe')
          expect(Object.keys(operation.responses), path).toEqual(expect.arrayContaining(['401', '403', '500']));
      }
    }
    const docs = await fetch(`${service.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('/openapi.json');
  });
});

describe('/metrics', () => {
  it('exposes jobs, steps, provisioning duration, SSE subscribers, Kubernetes requests and Helm invocations after a provision', async () => {
    const accepted = await fetch(`${service.baseUrl}/api/provisioning/provision`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ companyName: 'Metrics Garage', ownerEmail: 'o@example.com', ownerFirstName: 'A', ownerLastName: 'B', subscriptionTier: 'demo' }),
    });
    expect(accepted.status).toBe(202);
    const job = (await accepted.json()) as { tenantId: string; links: { events: string } };
    tenantId = job.tenantId;
    const stream = await fetch(`${service.baseUrl}${job.links.events}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await stream.text()).toContain('event: completed');

    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
    const sample = (pattern: RegExp) => Number(metrics.match(pattern)?.[1] ?? Number.NaN);
    expect(sample(/tenant_provisioner_jobs_total\{operation="provision",state="enqueued"\} (\d+)/)).toBe(1);
    expect(sample(/tenant_provisioner_jobs_total\{operation="provision",state="completed"\} (\d+)/)).toBe(1);
    expect(metrics).toMatch(/tenant_provisioner_step_duration_seconds_count\{[^}]*step="deploy-chart"[^}]*\} 1/);
    expect(metrics).toMatch(/tenant_provisioner_provisioning_duration_seconds_count\{[^}]*tier="demo"[^}]*\} 1/);
    expect(metrics).toMatch(/tenant_provisioner_sse_subscribers \d+/);
    expect(sample(/tenant_provisioner_kubernetes_requests_total\{verb="create",group="",resource="namespaces",code="201"\} (\d+)/)).toBe(1);
    expect(metrics).toMatch(/tenant_provisioner_helm_invocations_total\{command="upgrade",outcome="ok"\} 1/);
    // Every process starts the version-drift gauge at zero; the sweep sets it.
    expect(metrics).toMatch(/tenant_provisioner_version_drift_tenants\{state="drifted"\} \d+/);

    // What the worker recorded of that deploy, read back by the status and the fleet view.
    const auth = { headers: { Authorization: `Bearer ${token}` } };
    const status = (await (await fetch(`${service.baseUrl}/api/provisioning/${tenantId}/status`, auth)).json()) as { running: { app: string; chart: unknown } };
    expect(status.running).toMatchObject({ chart: { name: 'mechanicbuddy-tenant' }, revision: 1, valuesHash: expect.stringMatching(/^sha256:/) });
    const fleet = (await (await fetch(`${service.baseUrl}/api/fleet`, auth)).json()) as {
      target: { app: string };
      versions: Array<{ version: { app: string }; tenants: number }>;
    };
    expect(fleet.target.app).toBe(status.running.app);
    expect(fleet.versions.find((v) => v.version.app === status.running.app)?.tenants).toBeGreaterThanOrEqual(1);
  });
});
