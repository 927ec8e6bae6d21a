import { expect } from 'vitest';
import { createAdminRoutes } from '../../../../src/api/admin/admin.routes.ts';
import { createJwtVerifier } from '../../../../src/api/auth/jwt-verifier.ts';
import type { BillingSchedules } from '../../../../src/billing/billing-schedules.ts';
import { kubeError } from '../../api/support/fake-cluster.ts';
import { testApp } from '../../api/support/harness.ts';

export const WEBHOOK_SECRET = 'whsec_fuzz_test_secret';
/** The one tenant that exists: bodies sent to it are always invalid, so nothing may be queued for it. */
export const TENANT = 'acme-main';
/** A finished job with a history, so the SSE route replays and closes instead of 404-ing every time. */
export const DONE_JOB = 'job-done';

export type FuzzRequest = {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | undefined;
  /** Whether a bearer token for a superadmin is added (the default). */
  authenticated?: boolean;
};

export type OpenApiOperation = {
  method: string;
  path: string;
  params: Array<{ name: string; in: 'path' | 'query' | 'header' }>;
  bodySchema: string | undefined;
  bearer: boolean;
};

/**
 * The whole API over the unit harness's in-memory fakes of our own interfaces (registry, queue,
 * Redis, Helm, events), plus the Stripe webhook and the admin routes as the composition root mounts
 * them. `send` makes one request and checks the invariants every answer must keep; `sideEffects`
 * says what, if anything, a request changed.
 */
export async function fuzzApp() {
  const scheduled: unknown[] = [];
  const billingSchedules: BillingSchedules = {
    schedule: async (...args) => void scheduled.push(args),
    cancel: async (...args) => void scheduled.push(args),
    close: async () => undefined,
  };
  const t = await testApp({
    config: (c) => {
      // The fuzzers make thousands of requests as one subject: the limiter is tested elsewhere.
      c.http.rateLimit = { windowSeconds: 60, maxRequests: 1_000_000_000 };
      c.billing.webhookSecret = WEBHOOK_SECRET;
      c.billing.apiKey = null;
    },
    deps: { billingSchedules },
  });
  t.app.route('/admin', createAdminRoutes({ verifier: createJwtVerifier(t.config.auth), queues: [] }));
  t.registry.seed(TENANT);
  t.kube.putAdmin(t.registry.namespaceOf(TENANT), TENANT, 'admin', 'fuzz-canary-password');
  t.queue.put({ id: DONE_JOB, name: 'provision', data: { tenantId: TENANT }, state: 'completed', returnvalue: { tenantId: TENANT } });
  t.events.append(DONE_JOB, { type: 'completed', data: { tenantId: TENANT } });
  // The lifecycle intake reads the tenant's namespace itself: unknown tenants are a 404 there. Reading
  // the existing tenant means a bad request got past validation, which fails the test loudly.
  Object.assign(t.kube.kube.core, {
    readNamespace: async ({ name }: { name: string }) => {
      if (name === t.registry.namespaceOf(TENANT)) throw new Error(`a fuzzed request reached the lifecycle intake of ${TENANT}`);
      throw kubeError(404);
    },
  });
  t.registry.calls.length = 0;

  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
  const jobsBefore = t.queue.jobs.size;
  let requests = 0;

  async function send(request: FuzzRequest): Promise<{ status: number; body: string; headers: Headers }> {
    requests += 1;
    const headers: Record<string, string> = { ...request.headers };
    if (request.authenticated !== false) headers['Authorization'] ??= `Bearer ${t.token}`;
    const res = await t.app.request(request.path, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const label = `${request.method} ${request.path} → ${res.status}`;
    const type = res.headers.get('content-type') ?? '';
    const body = type.startsWith('text/event-stream') ? await drain(res, label) : await res.text();
    expect(res.status, `${label}: ${body.slice(0, 300)}`).toBeLessThan(500);
    if (res.status >= 400) {
      expect(type, `${label}: an error answer must be a problem`).toBe('application/problem+json');
      const problem = JSON.parse(body) as { status?: unknown; type?: unknown; title?: unknown };
      expect(problem.status, label).toBe(res.status);
      expect(typeof problem.type === 'string' && typeof problem.title === 'string', label).toBe(true);
    }
    return { status: res.status, body, headers: res.headers };
  }

  /** Everything a bad request could have changed: jobs, tenants, idempotency keys, schedules, prototypes. */
  function sideEffects(): string[] {
    const found: string[] = [];
    if (t.queue.jobs.size !== jobsBefore) found.push(`${t.queue.jobs.size - jobsBefore} job(s) enqueued`);
    const writes = t.registry.calls.filter((call) => !/^(get|list|read) /.test(call));
    if (writes.length > 0) found.push(`registry writes: ${writes.slice(0, 3).join('; ')}`);
    const idem = t.redis.keys().filter((key) => key.includes(':idem:'));
    if (idem.length > 0) found.push(`idempotency keys: ${idem.slice(0, 3).join(', ')}`);
    if (scheduled.length > 0) found.push(`${scheduled.length} billing schedule change(s)`);
    if (Object.getOwnPropertyNames(Object.prototype).sort().join(',') !== prototypeBefore) found.push('Object.prototype changed');
    if (({} as Record<string, unknown>)['polluted'] !== undefined) found.push('Object.prototype.polluted is set');
    return found;
  }

  /** The operations the OpenAPI document lists: a route added later is fuzzed without a change here. */
  async function operations(): Promise<OpenApiOperation[]> {
    const doc = (await (await t.app.request('/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: Array<{ name: string; in: 'path' | 'query' | 'header' }>;
            requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
            security?: unknown[];
          }
        >
      >;
    };
    return Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        bodySchema: op.requestBody ? (Object.values(op.requestBody.content)[0]?.schema.$ref?.split('/').at(-1) ?? 'inline') : undefined,
        bearer: JSON.stringify(op.security ?? []).includes('bearerAuth'),
      })),
    );
  }

  return { t, send, sideEffects, operations, requests: () => requests };
}
export type FuzzApp = Awaited<ReturnType<typeof fuzzApp>>;

/** Reads an event stream to its end; a finished job's stream must close by itself. */
async function drain(res: Response, label: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: the event stream of a finished job did not close`)), 3_000);
  });
  try {
    return await Promise.race([res.text(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
