import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import { expiryJobId } from '../../../src/lifecycle/expiry.ts';
import { requestDeprovision, requestUpdate, type LifecycleDeps } from '../../../src/lifecycle/intake.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { sweepExpired } from '../../../src/worker/sweeps/expiry-sweep.ts';
import { FakeIntents, tenantRecord } from '../worker/support/fake-intents.ts';

const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const now = new Date('2026-03-20T00:00:00.000Z');
const demo = (overrides: Partial<TenantRecord> = {}) =>
  tenantRecord({
    tier: 'demo',
    expiresAt: '2026-03-01T00:00:00.000Z',
    desired: { tier: 'demo', customDomain: null, resourceOverrides: {}, hibernated: true },
    ...overrides,
  });

function setup() {
  const tenants = new FakeIntents();
  const queued: Array<{ name: string; jobId: string }> = [];
  const deps: LifecycleDeps & { logger: ReturnType<typeof createLogger> } = {
    config,
    tenants,
    now: () => now,
    logger: createLogger({ level: 'silent', pretty: false }),
    producer: { enqueue: async (name, _payload, jobId) => (queued.push({ name, jobId }), jobId) },
    helm: { template: async () => '' },
    workloads: { readDatabase: async () => undefined },
  };
  return { deps, tenants, queued };
}

/** Finding 2: the sweep decided from a page listed earlier, and nothing re-checked the expiry. */
describe('the expiry sweep and a tenant that pays meanwhile', () => {
  it('does not remove a demo that was upgraded to a paid tier after the sweep listed it', async () => {
    const { deps, tenants, queued } = setup();
    tenants.put(demo());
    const listed: TenantRecord[] = [];
    for await (const tenant of tenants.all()) listed.push(tenant);
    // The page the sweep holds is stale: the customer pays between the listing and the request.
    tenants.all = async function* () {
      for (const tenant of listed) {
        await requestUpdate(deps, tenant.tenantId, { subscriptionTier: 'professional' }, { jobId: 'billing-update-1' });
        yield tenant;
      }
    };
    const report = await sweepExpired(deps);
    expect(report).toEqual({ hibernate: [], deprovision: [], purge: [] });
    expect(queued.map((q) => q.name)).toEqual(['update']);
    const after = (await tenants.get('acme-abc123'))!;
    expect(after.expiresAt).toBeNull();
    expect(after.operation).toMatchObject({ type: 'update', jobId: 'billing-update-1' });
  });

  it('still removes a demo whose expiry and grace have passed, recording why', async () => {
    const { deps, tenants, queued } = setup();
    tenants.put(demo());
    expect(await sweepExpired(deps)).toEqual({ hibernate: [], deprovision: ['acme-abc123'], purge: [] });
    expect(queued.map((q) => q.name)).toEqual(['deprovision']);
    expect((await tenants.get('acme-abc123'))?.operation).toMatchObject({ type: 'deprovision', reason: 'expiry', state: 'queued' });
  });

  it('refuses an expiry request for a tenant whose expiry no longer demands it, even with a fixed job id', async () => {
    const { deps, tenants, queued } = setup();
    const paid = tenantRecord({ expiresAt: null });
    tenants.put(paid);
    await expect(requestDeprovision(deps, paid.tenantId, { jobId: expiryJobId('deprovision', paid), reason: 'expiry' })).rejects.toThrow(/no longer applies/);
    expect(queued).toEqual([]);
  });

  it('gives a failed expiry removal a new job id, so the next sweep tries again (finding 10)', () => {
    const removal = demo({
      operation: { type: 'deprovision', jobId: 'expiry-deprovision-x', state: 'queued', at: '2026-03-16T00:00:00.000Z', reason: 'expiry' },
    });
    const failed = demo({
      operation: { type: 'deprovision', jobId: 'expiry-deprovision-x', state: 'failed', at: '2026-03-16T00:00:00.000Z', reason: 'expiry' },
    });
    expect(expiryJobId('deprovision', failed)).not.toBe(expiryJobId('deprovision', removal));
    expect(expiryJobId('deprovision', removal)).toBe(expiryJobId('deprovision', demo()));
  });
});
