import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobView } from '../../../src/api/jobs/jobs.schemas.ts';
import type { JobAccepted, TenantStatus, ValidationReport } from '../../../src/api/provisioning/provisioning.schemas.ts';
import type { TenantList } from '../../../src/api/tenants/tenants.schemas.ts';
import { JOB_CATALOG, OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import { MANAGED_BY, TENANT_ANNOTATIONS, TENANT_LABELS } from '../../../src/domain/tenant-record.ts';
import { kubeClients, statusOf } from '../../support/kube.ts';
import { startRedisServer } from '../../support/redis-server.ts';
import { startApi, type ApiServer } from './support/api-server.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const admin = kubeClients(kubeconfig);
const namespaces = new Set<string>();
let api: ApiServer;

const tenantId = (label: string) => `it-${label}-${randomBytes(3).toString('hex')}`;
const body = (id: string, extra: Record<string, unknown> = {}) => ({
  companyName: 'Intake Motors',
  ownerEmail: 'owner@intake.test',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'demo',
  tenantId: id,
  ...extra,
});

async function namespaceOf(id: string) {
  try {
    return await admin.core.readNamespace({ name: `${api.config.platform.namespacePrefix}${id}` });
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

beforeAll(async () => {
  api = await startApi({ kubeconfig, redisUrl });
});

afterAll(async () => {
  await Promise.all([...namespaces].map((name) => admin.core.deleteNamespace({ name }).catch(() => undefined)));
  await api?.close();
});

describe('provision intake against real Redis and the sandbox', () => {
  it('records the tenant as a labelled, annotated namespace and queues a job with no password in it', async () => {
    const id = tenantId('intake');
    namespaces.add(`tenant-${id}`);
    const res = await api.call('/api/provisioning/provision', { body: body(id, { stripeCustomerId: 'cus_abc' }) });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as JobAccepted;
    expect(res.headers.get('location')).toBe(`/api/jobs/${accepted.jobId}`);
    expect(accepted).toMatchObject({ tenantId: id, namespace: `tenant-${id}`, state: 'queued' });

    const ns = await namespaceOf(id);
    expect(ns?.metadata?.labels).toMatchObject({ [TENANT_LABELS.managedBy]: MANAGED_BY, [TENANT_LABELS.tenantId]: id, [TENANT_LABELS.tier]: 'demo' });
    const annotations = ns?.metadata?.annotations ?? {};
    expect(JSON.parse(annotations[TENANT_ANNOTATIONS.desiredState]!)).toEqual({ tier: 'demo', customDomain: null, resourceOverrides: {}, hibernated: false });
    expect(JSON.parse(annotations[TENANT_ANNOTATIONS.operation]!)).toMatchObject({ type: 'provision', jobId: accepted.jobId, state: 'queued' });
    expect(annotations).toMatchObject({
      [TENANT_ANNOTATIONS.companyName]: 'Intake Motors',
      [TENANT_ANNOTATIONS.ownerEmail]: 'owner@intake.test',
      [TENANT_ANNOTATIONS.stripeCustomerId]: 'cus_abc',
    });
    expect(Date.parse(annotations[TENANT_ANNOTATIONS.expiresAt]!)).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const job = await api.queue.getJob(accepted.jobId);
    expect(job?.name).toBe('provision');
    expect(await job?.getState()).toBe('waiting');
    expect(JOB_CATALOG.provision.parse(job?.data)).toMatchObject({ tenantId: id, namespace: `tenant-${id}`, release: `tenant-${id}` });
    const raw = await api.redis.hgetall(`${api.config.queue.prefix}:${OPERATIONS_QUEUE}:${accepted.jobId}`);
    expect(raw['data']).toBeDefined();
    expect(JSON.stringify(raw)).not.toMatch(/password/i);

    const view = (await (await api.call(accepted.links.job)).json()) as JobView;
    expect(view).toMatchObject({ jobId: accepted.jobId, type: 'provision', tenantId: id, state: 'queued', progress: null, log: [] });

    const status = (await (await api.call(accepted.links.status)).json()) as TenantStatus;
    expect(status).toMatchObject({ tenantId: id, tier: 'demo', phase: 'provisioning', ready: false, release: null, database: { ready: false } });

    const list = (await (await api.call('/api/tenants?tier=demo&limit=500')).json()) as TenantList;
    expect(list.items.find((t) => t.tenantId === id)).toMatchObject({ phase: 'provisioning', companyName: 'Intake Motors' });

    expect((await api.call(`/api/provisioning/${id}/credentials`)).status).toBe(404);
  });

  it('answers 409 for a taken id and replays an idempotent request from Redis', async () => {
    const id = tenantId('idem');
    namespaces.add(`tenant-${id}`);
    const headers = { 'Idempotency-Key': `key-${id}` };
    const first = await api.call('/api/provisioning/provision', { body: body(id), headers });
    const replay = await api.call('/api/provisioning/provision', { body: body(id), headers });
    expect(first.status).toBe(202);
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual(await first.json());
    expect((await api.call('/api/provisioning/provision', { body: body(id, { companyName: 'Other' }), headers })).status).toBe(422);
    const conflict = await api.call('/api/provisioning/provision', { body: body(id) });
    expect(conflict.status).toBe(409);
    const keys = await api.redis.keys(`${api.config.queue.prefix}:idem:*`);
    expect(keys).toHaveLength(1);
    expect(await api.redis.ttl(keys[0]!)).toBeGreaterThan(23 * 3600);
  });

  it('validates against the cluster: taken id, reachable cluster and Helm', async () => {
    const id = tenantId('valid');
    namespaces.add(`tenant-${id}`);
    const free = (await (await api.call('/api/provisioning/validate', { body: body(id) })).json()) as ValidationReport;
    expect(free).toMatchObject({ valid: true, errors: [] });
    expect((await api.call('/api/provisioning/provision', { body: body(id) })).status).toBe(202);
    const taken = (await (await api.call('/api/provisioning/validate', { body: body(id) })).json()) as ValidationReport;
    expect(taken.errors).toEqual([{ path: 'tenantId', message: 'is already taken' }]);
  });

  it('marks the namespace and queues a deprovision job', async () => {
    const id = tenantId('deprov');
    namespaces.add(`tenant-${id}`);
    expect((await api.call('/api/provisioning/provision', { body: body(id) })).status).toBe(202);
    const res = await api.call(`/api/provisioning/${id}/deprovision`, { method: 'POST' });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as JobAccepted;
    const ns = await namespaceOf(id);
    expect(JSON.parse(ns!.metadata!.annotations![TENANT_ANNOTATIONS.operation]!)).toMatchObject({ type: 'deprovision', jobId, state: 'queued' });
    expect((await api.queue.getJob(jobId))?.name).toBe('deprovision');
    expect(((await (await api.call(`/api/provisioning/${id}/status`)).json()) as TenantStatus).phase).toBe('deprovisioning');
  });

  it('answers /readyz against the real Redis and cluster', async () => {
    expect((await fetch(`${api.baseUrl}/readyz`)).status).toBe(200);
  });
});

describe('provision intake while Redis is down', () => {
  it('answers 503 within 2 s and creates nothing in the cluster', async () => {
    const redis = await startRedisServer();
    const down = await startApi({ kubeconfig, redisUrl: redis.url });
    try {
      expect((await fetch(`${down.baseUrl}/readyz`)).status).toBe(200);
      await redis.kill();
      for (const withKey of [false, true]) {
        const id = tenantId('down');
        namespaces.add(`tenant-${id}`);
        const started = Date.now();
        const res = await down.call('/api/provisioning/provision', { body: body(id), headers: withKey ? { 'Idempotency-Key': id } : {} });
        const elapsed = Date.now() - started;
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(elapsed).toBeLessThan(2_000);
        expect(await namespaceOf(id)).toBeUndefined();
      }
      expect((await fetch(`${down.baseUrl}/readyz`)).status).toBe(503);
    } finally {
      await down.close();
      await redis.stop();
    }
  });
});
