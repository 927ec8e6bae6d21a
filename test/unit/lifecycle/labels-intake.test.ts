import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.schema.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { TenantConflictError, TenantNotFoundError } from '../../../src/domain/errors.ts';
import type { JobProducer } from '../../../src/jobs/job-producer.ts';
import type { IntentChange } from '../../../src/kubernetes/tenant-store.ts';
import { requestUpdate, type LifecycleDeps } from '../../../src/lifecycle/intake.ts';
import { isLabelsOnly, requestLabels } from '../../../src/lifecycle/labels-intake.ts';
import { FakeIntents, tenantRecord } from '../worker/support/fake-intents.ts';

const config: Config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const at = '2026-02-01T00:00:00.000Z';

function setup(options: { enqueue?: JobProducer['enqueue']; labels?: Record<string, string> } = {}) {
  const intents = new FakeIntents();
  intents.put(tenantRecord({ labels: options.labels ?? { team: 'north', old: 'x' } }));
  const changes: IntentChange[] = [];
  const write = intents.write.bind(intents);
  intents.write = async (id, rv, change) => (changes.push(structuredClone(change)), write(id, rv, change));
  const enqueued: string[] = [];
  let ids = 0;
  const deps: LifecycleDeps = {
    config,
    tenants: intents,
    producer: { enqueue: options.enqueue ?? (async (name, _payload, jobId) => (enqueued.push(`${name}:${jobId}`), jobId)) },
    helm: { template: async () => 'rendered' },
    workloads: { readDatabase: async () => undefined },
    newJobId: () => `job-${++ids}`,
    now: () => new Date(at),
  };
  const labels = async () => (await intents.get('acme-abc123'))!.labels;
  return { deps, intents, changes, enqueued, labels };
}

describe('labels through the intake', () => {
  it('an update of labels alone: one conditional write replacing the set, no marker, no job; the same set again writes nothing', async () => {
    const { deps, intents, changes, enqueued, labels } = setup();
    expect(await requestLabels(deps, 'acme-abc123', { team: 'south', 'example.com/cohort': '' })).toEqual({ team: 'south', 'example.com/cohort': '' });
    expect(changes).toEqual([{ labels: { from: { team: 'north', old: 'x' }, to: { team: 'south', 'example.com/cohort': '' } } }]);
    expect(await labels()).toEqual({ team: 'south', 'example.com/cohort': '' });
    expect((await intents.get('acme-abc123'))!.operation).toMatchObject({ type: 'provision', jobId: 'p-1' });
    await requestLabels(deps, 'acme-abc123', { 'example.com/cohort': '', team: 'south' });
    expect(changes).toHaveLength(1);
    await requestLabels(deps, 'acme-abc123', {});
    expect(await labels()).toEqual({});
    expect(enqueued).toEqual([]);
  });

  it('tells a labels-only body from one that changes the release', () => {
    expect(isLabelsOnly({ labels: {} })).toBe(true);
    expect(isLabelsOnly({ labels: { a: 'b' }, subscriptionTier: undefined })).toBe(true);
    expect(isLabelsOnly({ labels: { a: 'b' }, subscriptionTier: 'enterprise' })).toBe(false);
    expect(isLabelsOnly({ subscriptionTier: 'enterprise' })).toBe(false);
    expect(isLabelsOnly({ labels: {}, customDomain: null })).toBe(false);
  });

  it('decides again over a concurrent write and never undoes it; refuses a tenant being removed (409) or missing (404)', async () => {
    const { deps, intents } = setup();
    intents.beforeWrite = () => intents.put({ ...intents.tenants.get('acme-abc123')!.tenant, stripeCustomerId: 'cus_1' });
    await requestLabels(deps, 'acme-abc123', { team: 'south' });
    expect(await intents.get('acme-abc123')).toMatchObject({ stripeCustomerId: 'cus_1', labels: { team: 'south' } });
    intents.put(tenantRecord({ labels: { team: 'north' }, operation: { type: 'deprovision', jobId: 'd', state: 'queued', at } }));
    await expect(requestLabels(deps, 'acme-abc123', { team: 'south' })).rejects.toBeInstanceOf(TenantConflictError);
    expect((await intents.get('acme-abc123'))!.labels).toEqual({ team: 'north' });
    await expect(requestLabels(deps, 'nobody-000000', {})).rejects.toBeInstanceOf(TenantNotFoundError);
  });

  it('with other fields: the labels go in the same write as the desired state and the marker, and the job is queued', async () => {
    const { deps, changes, enqueued, labels } = setup();
    const accepted = await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'enterprise', labels: { team: 'south' } });
    expect(accepted).toMatchObject({ jobId: 'job-1', replayed: false });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      desired: { tier: 'enterprise' },
      operation: { type: 'update', jobId: 'job-1', state: 'queued' },
      labels: { from: { team: 'north', old: 'x' }, to: { team: 'south' } },
    });
    expect(await labels()).toEqual({ team: 'south' });
    expect(enqueued).toEqual(['update:job-1']);
  });

  it('asking again while the update is pending replays it with the same labels, and records a new intent with other labels', async () => {
    const { deps, enqueued, labels } = setup();
    await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'enterprise', labels: { team: 'south' } });
    expect(await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'enterprise', labels: { team: 'south' } })).toMatchObject({
      jobId: 'job-1',
      replayed: true,
    });
    expect(await requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'enterprise', labels: { team: 'west' } })).toMatchObject({
      jobId: 'job-3',
      replayed: false,
    });
    expect(await labels()).toEqual({ team: 'west' });
    expect(enqueued).toEqual(['update:job-1', 'update:job-3']);
  });

  it('an update whose job cannot be queued is withdrawn, labels included', async () => {
    const { deps, intents, labels } = setup({
      enqueue: async () => {
        throw new Error('redis down');
      },
    });
    await expect(requestUpdate(deps, 'acme-abc123', { subscriptionTier: 'enterprise', labels: { team: 'south' } })).rejects.toThrow('redis down');
    expect(await labels()).toEqual({ team: 'north', old: 'x' });
    expect((await intents.get('acme-abc123'))!.desired.tier).toBe('professional');
  });
});
