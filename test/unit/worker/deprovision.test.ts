import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import type { OperationDeps } from '../../../src/lifecycle/plans/plan-deps.ts';
import { deprovisionSteps } from '../../../src/lifecycle/plans/deprovision.plan.ts';
import { FakeIntents, tenantRecord } from './support/fake-intents.ts';

const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const job = { tenantId: 'acme-abc123', namespace: 'tenant-acme-abc123', release: 'tenant-acme-abc123', requestedAt: '2026-01-01T00:00:00.000Z' };
const removal = (extra: Partial<NonNullable<TenantRecord['operation']>> = {}) => ({
  type: 'deprovision' as const,
  jobId: 'd-1',
  state: 'queued' as const,
  at: job.requestedAt,
  ...extra,
});

function run(
  tenant: TenantRecord | undefined,
  options: {
    now?: Date;
    between?: (store: FakeIntents) => Promise<void>;
    config?: typeof config;
    type?: 'deprovision' | 'purge';
    history?: Array<{ revision: number; status: string }>;
  } = {},
) {
  const calls: string[] = [];
  const store = new FakeIntents();
  if (tenant) store.put(tenant);
  const remove = store.delete.bind(store);
  store.delete = async (id) => (calls.push('delete'), remove(id));
  const deps = {
    config: options.config ?? config,
    tenants: store,
    now: () => options.now ?? new Date('2026-01-02T00:00:00.000Z'),
    helm: {
      uninstall: async () => void calls.push('uninstall'),
      history: async () => options.history ?? [{ revision: 1, status: 'deployed' }],
      rollback: async (_release: string, _namespace: string, revision: number) => void calls.push(`rollback to ${revision}`),
      upgradeInstall: async (o: { values: string }) => {
        calls.push(`upgrade closed=${/\bclosed:\n\s+enabled: true/.test(o.values)} hibernated=${/^hibernated: true/m.test(o.values)}`);
        return { name: job.release, revision: 2, status: 'deployed' };
      },
    },
    storeAccounts: { remove: async () => void calls.push('revoke store account') },
    workloads: {
      waitForNamespaceGone: async () => true as const,
      waitForDatabase: async () => (calls.push('database ready'), { readyInstances: 1, instances: 1 }),
      waitForDatabaseHibernated: async () => void calls.push('database hibernated'),
    },
  } as unknown as OperationDeps;
  const steps = deprovisionSteps(deps, 'd-1', job, {}, options.type);
  const signal = new AbortController().signal;
  const done = (async () => {
    for (const [i, s] of steps.entries()) {
      if (i === 1) await options.between?.(store);
      await s.run({ signal, note: async () => undefined });
    }
  })();
  return { calls, done, store };
}

describe('deprovision steps', () => {
  it('remove the release and the namespace of the tenant whose removal was asked', async () => {
    const { calls, done } = run(tenantRecord({ operation: removal() }));
    await done;
    // The store account goes before the namespace: once that is gone nothing names the account.
    expect(calls).toEqual(['uninstall', 'revoke store account', 'delete']);
  });

  it('never delete a later incarnation: a live tenant whose marker names another job was provisioned again', async () => {
    const { calls, done } = run(
      tenantRecord({ createdAt: '2026-01-01T00:05:00.000Z', operation: { type: 'provision', jobId: 'p-2', state: 'active', at: job.requestedAt } }),
    );
    await done;
    expect(calls).toEqual([]);
  });

  it("remove nothing when the tenant's intent is not this removal (a job without its marker is not a current intent)", async () => {
    const { calls, done } = run(
      tenantRecord({ createdAt: '2025-12-31T00:00:00.000Z', operation: { type: 'provision', jobId: 'p-1', state: 'completed', at: job.requestedAt } }),
    );
    await done;
    expect(calls).toEqual([]);
  });

  it('treat a tenant that is already gone as removed', async () => {
    const { calls, done } = run(undefined);
    await done;
    expect(calls).toEqual([]);
  });

  it('decide again before each destructive call: a removal withdrawn after validate deletes nothing', async () => {
    const { calls, done } = run(tenantRecord({ operation: removal() }), {
      between: async (store) => {
        const current = (await store.read('acme-abc123'))!;
        await store.write('acme-abc123', current.resourceVersion, { operation: { type: 'update', jobId: 'u-9', state: 'queued', at: job.requestedAt } });
      },
    });
    await expect(done).rejects.toThrow(/kept/);
    expect(calls).toEqual([]);
  });

  it('re-check an expiry removal against the expiry before acting: a tenant that paid (expiry cleared) is kept', async () => {
    const expired = tenantRecord({ tier: 'demo', expiresAt: '2025-12-01T00:00:00.000Z', operation: removal({ reason: 'expiry' }) });
    const { calls, done } = run({ ...expired, expiresAt: null });
    await done;
    expect(calls).toEqual([]);
    const still = run(expired, { now: new Date('2026-01-02T00:00:00.000Z') });
    await still.done;
    expect(still.calls).toEqual(['uninstall', 'revoke store account', 'delete']);
  });

  describe('a close (safe offboarding) on a tier without backups and a retention window', () => {
    const keeping = { ...config, tiers: { ...config.tiers, free: { ...config.tiers.free, offboarding: { retentionSeconds: 3_600 } } } };
    const closed = { at: job.requestedAt, purgeAfter: '2026-01-01T01:00:00.000Z', hibernated: false };
    const free = (operation: TenantRecord['operation']) =>
      tenantRecord({ tier: 'free', desired: { tier: 'free', customDomain: null, resourceOverrides: {}, hibernated: true, closed }, operation });

    it('stops the application with the database awake, then hibernates it and keeps the namespace, recording the close completed', async () => {
      const { calls, done, store } = run(free(removal()), { config: keeping });
      await done;
      expect(calls).toEqual(['upgrade closed=true hibernated=false', 'database ready', 'upgrade closed=true hibernated=true', 'database hibernated']);
      expect((await store.get('acme-abc123'))?.operation).toMatchObject({ type: 'deprovision', jobId: 'd-1', state: 'completed' });
    });

    it('rolls back a release an interrupted attempt left pending-upgrade before closing it (soak ci16d: every retry failed "another operation is in progress")', async () => {
      const history = [
        { revision: 1, status: 'superseded' },
        { revision: 2, status: 'deployed' },
        { revision: 3, status: 'pending-upgrade' },
      ];
      const { calls, done } = run(free(removal()), { config: keeping, history });
      await done;
      expect(calls.slice(0, 2)).toEqual(['rollback to 2', 'upgrade closed=true hibernated=false']);
    });

    it('purges a closed account with the purge job: release and namespace, no upgrade', async () => {
      const purge = removal({ type: 'purge', reason: 'retention' });
      const { calls, done } = run(free(purge), { config: keeping, type: 'purge', now: new Date('2026-01-01T02:00:00.000Z') });
      await done;
      expect(calls).toEqual(['uninstall', 'revoke store account', 'delete']);
    });
  });
});
