import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.schema.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { TenantConflictError } from '../../../src/domain/errors.ts';
import { IntentLapsedError } from '../../../src/lifecycle/errors.ts';
import { requestDeprovision, requestHibernate, requestPurge, requestUndelete, type IntakeDeps } from '../../../src/lifecycle/intake.ts';
import { deriveTenantPhase } from '../../../src/lifecycle/phases.ts';
import { removalVeto } from '../../../src/lifecycle/removal.ts';
import { sweepExpired } from '../../../src/worker/sweeps/expiry-sweep.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { FakeIntents, tenantRecord } from '../worker/support/fake-intents.ts';

const DAY = 86_400;
const base: Config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const config: Config = { ...base, tiers: { ...base.tiers, professional: { ...base.tiers.professional, offboarding: { retentionSeconds: 30 * DAY } } } };
const T0 = new Date('2026-02-01T00:00:00.000Z');

function setup(now: () => Date = () => T0) {
  const intents = new FakeIntents();
  const enqueued: Array<{ name: string; jobId: string }> = [];
  let ids = 0;
  const deps: IntakeDeps = {
    config,
    tenants: intents,
    producer: { enqueue: async (name, _payload, jobId) => (enqueued.push({ name, jobId }), jobId) },
    newJobId: () => `job-${++ids}`,
    now,
  };
  return { deps, intents, enqueued };
}

/** Marks the intake's pending marker as the worker leaves it. */
async function finish(intents: FakeIntents, state: 'completed' | 'failed') {
  const { tenant, resourceVersion } = (await intents.read('acme-abc123'))!;
  await intents.write('acme-abc123', resourceVersion, { operation: { ...tenant.operation!, state } });
}

describe('safe offboarding at the intake', () => {
  it('closes instead of removing: asleep, its window from the tier, what it was before kept for the undelete', async () => {
    const { deps, intents, enqueued } = setup();
    intents.put(tenantRecord());
    await requestDeprovision(deps, 'acme-abc123');
    const { tenant } = (await intents.read('acme-abc123'))!;
    expect(tenant.desired).toMatchObject({ hibernated: true, closed: { at: T0.toISOString(), purgeAfter: '2026-03-03T00:00:00.000Z', hibernated: false } });
    expect(enqueued).toEqual([{ name: 'deprovision', jobId: 'job-1' }]);
    expect(deriveTenantPhase(tenant, true)).toBe('deprovisioning');
    await finish(intents, 'completed');
    expect(deriveTenantPhase((await intents.read('acme-abc123'))!.tenant, true)).toBe('closed');
  });

  it('refuses a second close of a closed account (409 naming undelete and force); a close whose final backup failed is asked again', async () => {
    const { deps, intents } = setup();
    intents.put(tenantRecord());
    await requestDeprovision(deps, 'acme-abc123');
    await finish(intents, 'failed');
    const again = await requestDeprovision(deps, 'acme-abc123');
    expect(again).toMatchObject({ operation: 'deprovision', replayed: false });
    // The window it was first given stays.
    expect((await intents.read('acme-abc123'))!.tenant.desired.closed?.purgeAfter).toBe('2026-03-03T00:00:00.000Z');
    await finish(intents, 'completed');
    const refused = await requestDeprovision(deps, 'acme-abc123').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TenantConflictError);
    expect((refused as TenantConflictError).reason).toBe('closed');
    expect((refused as Error).message).toMatch(/undelete it, or purge it now with force/);
  });

  it('undeletes a closed account to what it was, asleep only if it slept before; an open one is 409 not-closed', async () => {
    const { deps, intents, enqueued } = setup();
    intents.put(tenantRecord());
    const refused = await requestUndelete(deps, 'acme-abc123').catch((e: unknown) => e);
    expect((refused as TenantConflictError).reason).toBe('not-closed');
    await requestDeprovision(deps, 'acme-abc123');
    await finish(intents, 'completed');
    const hibernate = await requestHibernate(deps, 'acme-abc123').catch((e: unknown) => e);
    expect((hibernate as TenantConflictError).reason).toBe('closed');
    await requestUndelete(deps, 'acme-abc123');
    const { tenant } = (await intents.read('acme-abc123'))!;
    expect(tenant.desired).toEqual(tenantRecord().desired);
    expect(tenant.operation).toMatchObject({ type: 'undelete', state: 'queued' });
    expect(enqueued.map((e) => e.name)).toEqual(['deprovision', 'undelete']);
  });

  it('purges by retention only once the window passed and the close completed; force purges any tenant now', async () => {
    let now = T0;
    const { deps, intents, enqueued } = setup(() => now);
    intents.put(tenantRecord());
    await requestDeprovision(deps, 'acme-abc123');
    await expect(requestPurge(deps, 'acme-abc123', { reason: 'retention' })).rejects.toBeInstanceOf(IntentLapsedError);
    await finish(intents, 'completed');
    now = new Date('2026-03-02T23:59:59.000Z');
    await expect(requestPurge(deps, 'acme-abc123', { reason: 'retention' })).rejects.toBeInstanceOf(IntentLapsedError);
    now = new Date('2026-03-03T00:00:00.000Z');
    await requestPurge(deps, 'acme-abc123', { reason: 'retention' });
    expect((await intents.read('acme-abc123'))!.tenant.operation).toMatchObject({ type: 'purge', reason: 'retention' });

    const other = setup();
    other.intents.put(tenantRecord());
    await requestPurge(other.deps, 'acme-abc123', { reason: 'api' });
    expect(other.enqueued).toEqual([{ name: 'purge', jobId: 'job-1' }]);
    expect(enqueued.map((e) => e.name)).toEqual(['deprovision', 'purge']);
  });

  it('vetoes a retention purge of an account reopened or given a later window since it was queued', () => {
    const closed = { at: T0.toISOString(), purgeAfter: '2026-03-03T00:00:00.000Z', hibernated: false };
    const marker = { type: 'purge' as const, jobId: 'p-1', state: 'queued' as const, at: T0.toISOString(), reason: 'retention' as const };
    const due = tenantRecord({ desired: { ...tenantRecord().desired, hibernated: true, closed }, operation: marker });
    expect(removalVeto(config, due, 'p-1', new Date('2026-03-04T00:00:00.000Z'))).toBeUndefined();
    expect(removalVeto(config, due, 'p-1', new Date('2026-03-01T00:00:00.000Z'))).toMatch(/kept until 2026-03-03/);
    expect(removalVeto(config, { ...due, desired: tenantRecord().desired }, 'p-1', new Date('2026-03-04T00:00:00.000Z'))).toMatch(/reopened/);
  });

  it('the expiry sweep purges a closed account past its window, once, and leaves one inside it', async () => {
    let now = T0;
    const { deps, intents, enqueued } = setup(() => now);
    intents.put(tenantRecord());
    await requestDeprovision(deps, 'acme-abc123');
    await finish(intents, 'completed');
    const sweep = {
      ...deps,
      helm: { template: async () => '' },
      workloads: { readDatabase: async () => undefined },
      logger: createLogger({ level: 'silent', pretty: false }),
    };
    expect((await sweepExpired(sweep)).purge).toEqual([]);
    now = new Date('2026-03-04T00:00:00.000Z');
    expect((await sweepExpired(sweep)).purge).toEqual(['acme-abc123']);
    expect((await sweepExpired(sweep)).purge).toEqual([]);
    expect(enqueued.filter((e) => e.name === 'purge')).toHaveLength(1);
  });
});
