import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.schema.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { HelmError } from '../../../src/helm/helm-error.ts';
import type { JobProducer } from '../../../src/jobs/job-producer.ts';
import { ChangeRejectedError, TenantConflictError, TenantNotFoundError } from '../../../src/domain/errors.ts';
import { requestDeprovision, requestHibernate, requestResume, requestUpdate, type LifecycleDeps } from '../../../src/lifecycle/intake.ts';
import { FakeIntents, tenantRecord } from './support/fake-intents.ts';

const config: Config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });

function setup(options: { liveStorage?: string; template?: () => Promise<string>; enqueue?: JobProducer['enqueue'] } = {}) {
  const intents = new FakeIntents();
  const enqueued: Array<{ name: string; jobId: string; payload: unknown }> = [];
  let ids = 0;
  const deps: LifecycleDeps = {
    config,
    tenants: intents,
    producer: { enqueue: options.enqueue ?? (async (name, payload, jobId) => (enqueued.push({ name, jobId, payload }), jobId)) },
    helm: { template: options.template ?? (async () => 'rendered') },
    workloads: {
      readDatabase: async () =>
        options.liveStorage ? { spec: { instances: 1, storage: { size: options.liveStorage, storageClass: 'local-path' } } } : undefined,
    },
    newJobId: () => `job-${++ids}`,
    now: () => new Date('2026-02-01T00:00:00.000Z'),
  };
  return { deps, intents, enqueued };
}

describe('lifecycle intake', () => {
  it('records the desired state and marker before queueing a job that carries only the tenant reference', async () => {
    const { deps, intents, enqueued } = setup();
    intents.put(tenantRecord());
    const accepted = await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'enterprise' });
    expect(accepted).toMatchObject({ jobId: 'job-1', operation: 'update', state: 'queued', replayed: false });
    const { tenant } = (await intents.read('acme-abc123'))!;
    expect(tenant.desired.tier).toBe('enterprise');
    expect(tenant.operation).toMatchObject({ type: 'update', jobId: 'job-1', state: 'queued' });
    expect(enqueued).toEqual([
      {
        name: 'update',
        jobId: 'job-1',
        payload: { tenantId: 'acme-abc123', namespace: 'tenant-acme-abc123', release: 'tenant-acme-abc123', requestedAt: '2026-02-01T00:00:00.000Z' },
      },
    ]);
  });

  it('clears the expiry when a demo tenant moves to a paid tier, and refuses a move into the trial tier', async () => {
    const { deps, intents } = setup();
    intents.put(
      tenantRecord({
        tier: 'demo',
        expiresAt: '2026-02-08T00:00:00.000Z',
        desired: { tier: 'demo', customDomain: null, resourceOverrides: {}, hibernated: false },
      }),
    );
    await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'professional' });
    expect((await intents.read('acme-abc123'))!.tenant.expiresAt).toBeNull();
    const refused = await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'demo' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChangeRejectedError);
    expect((refused as ChangeRejectedError).errors[0]).toMatchObject({ path: 'subscriptionTier' });
  });

  it('refuses to shrink the live volume and reports what the chart rejects, changing nothing', async () => {
    const { deps, intents, enqueued } = setup({ liveStorage: '200Gi' });
    intents.put(tenantRecord({ tier: 'enterprise', desired: { tier: 'enterprise', customDomain: null, resourceOverrides: {}, hibernated: false } }));
    const shrink = await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'professional' }).catch((e: unknown) => e);
    expect((shrink as ChangeRejectedError).errors).toEqual([
      expect.objectContaining({ path: 'subscriptionTier', message: expect.stringContaining('200Gi to 50Gi') }),
    ]);
    // A growth accepted but not applied yet counts too: the volume may grow at any moment.
    const queued = setup({ liveStorage: '10Gi' });
    queued.intents.put(tenantRecord({ tier: 'enterprise', desired: { tier: 'enterprise', customDomain: null, resourceOverrides: {}, hibernated: false } }));
    const behind = await requestUpdate(queued.deps, 'acme-abc123', { subscriptionTier: 'professional' }).catch((e: unknown) => e);
    expect((behind as ChangeRejectedError).errors[0]?.message).toContain('from 200Gi to 50Gi');
    const rejecting = setup({
      template: async () => {
        throw new HelmError('template', 1, "Error: values don't meet the specifications of the schema(s): apiReplicas");
      },
    });
    rejecting.intents.put(tenantRecord());
    const schema = await requestUpdate(rejecting.deps, 'acme-abc123', { resourceOverrides: { apiReplicas: 3 } }).catch((e: unknown) => e);
    expect((schema as ChangeRejectedError).errors[0]).toMatchObject({ path: 'chart', message: expect.stringContaining('schema') });
    expect(intents.writes + rejecting.intents.writes).toBe(0);
    expect(enqueued).toEqual([]);
  });

  it("leaves the chart render to the job when asked (a rollout's requests), and still refuses what it checks without Helm", async () => {
    let renders = 0;
    const { deps, intents, enqueued } = setup({ liveStorage: '200Gi', template: async () => (renders++, 'rendered') });
    intents.put(tenantRecord({ tier: 'enterprise', desired: { tier: 'enterprise', customDomain: null, resourceOverrides: {}, hibernated: false } }));
    const release = await requestUpdate(deps, 'acme-abc123', { appVersion: 'v2' }, { jobId: 'rollout-r1-acme-abc123', reason: 'rollout', render: false });
    expect(release).toMatchObject({ jobId: 'rollout-r1-acme-abc123', state: 'queued' });
    expect(enqueued.map((e) => e.jobId)).toEqual(['rollout-r1-acme-abc123']);
    const shrink = await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'professional' }, { render: false }).catch((e: unknown) => e);
    expect((shrink as ChangeRejectedError).errors[0]?.message).toContain('200Gi to 50Gi');
    expect(renders).toBe(0);
    // The API's own requests still render before answering.
    await requestUpdate(deps, 'acme-abc123', { appVersion: 'v3' });
    expect(renders).toBe(1);
  });

  it('answers 404 and 409 with typed errors', async () => {
    const { deps, intents } = setup();
    await expect(requestHibernate(deps, 'nobody-000000')).rejects.toBeInstanceOf(TenantNotFoundError);
    intents.put(tenantRecord({ operation: { type: 'deprovision', jobId: 'd-1', state: 'active', at: '2026-01-01T00:00:00.000Z' } }));
    await expect(requestResume(deps, 'acme-abc123')).rejects.toBeInstanceOf(TenantConflictError);
    // Asking to remove it again returns the pending removal instead.
    expect(await requestDeprovision(deps, 'acme-abc123')).toMatchObject({ jobId: 'd-1', replayed: true, state: 'active' });
  });

  it('replays an equal pending request, and makes a fixed job id one job however often it is asked', async () => {
    const { deps, intents, enqueued } = setup();
    intents.put(tenantRecord());
    const first = await requestHibernate(deps, 'acme-abc123');
    expect(await requestHibernate(deps, 'acme-abc123')).toMatchObject({ jobId: first.jobId, replayed: true });
    expect(enqueued).toHaveLength(1);
    const a = await requestResume(deps, 'acme-abc123', { jobId: 'fixed' });
    const b = await requestResume(deps, 'acme-abc123', { jobId: 'fixed' });
    expect([a.replayed, b.replayed]).toEqual([false, true]);
    // Added again under the same id: a no-op for BullMQ, or a lost job re-created.
    expect(enqueued.filter((e) => e.jobId === 'fixed')).toHaveLength(2);
    expect(intents.writes).toBe(2);
  });

  it('decides again when another request wrote in between, so neither change is lost', async () => {
    const { deps, intents } = setup();
    intents.put(tenantRecord());
    intents.beforeWrite = () => {
      const entry = intents.tenants.get('acme-abc123')!;
      entry.tenant.desired = { ...entry.tenant.desired, customDomain: 'shop.acme.com' };
      entry.version++;
    };
    await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'enterprise' });
    expect((await intents.read('acme-abc123'))!.tenant.desired).toMatchObject({ tier: 'enterprise', customDomain: 'shop.acme.com' });
  });

  it('puts the previous intent back when the job cannot be queued', async () => {
    const { deps, intents } = setup({
      enqueue: async () => {
        throw new Error('Redis down');
      },
    });
    intents.put(tenantRecord());
    await expect(requestHibernate(deps, 'acme-abc123')).rejects.toThrow('Redis down');
    const { tenant } = (await intents.read('acme-abc123'))!;
    expect(tenant.desired.hibernated).toBe(false);
    expect(tenant.operation).toMatchObject({ type: 'provision', jobId: 'p-1' });
  });
});
