import { describe, expect, it } from 'vitest';
import { billingMapping } from '../../../src/billing/billing-mapping.ts';
import { fireScheduledAction } from '../../../src/billing/scheduled-action-worker.ts';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { testConfig } from '../api/support/config.ts';
import { billingCore } from './support/billing-core.ts';
import { subscriptionJson, tenantRecord } from './support/fixtures.ts';
import { FakeStripeApi } from './support/webhook-app.ts';

const config = testConfig();

// The delayed action fires into the real lifecycle core (in-memory tenant store, recording queue).
function setup(options: { tenant?: TenantRecord | undefined; status?: string; api?: boolean; ended?: boolean } = {}) {
  const core = billingCore(config);
  const api = new FakeStripeApi();
  api.subscriptions.set('sub_unit1', subscriptionJson({ status: options.status ?? 'past_due' }));
  const tenant = 'tenant' in options ? options.tenant : tenantRecord({ tenantId: 'acme1' });
  if (tenant) core.store.put(tenant);
  const deps = {
    lifecycle: core.lifecycle,
    api: options.api === false ? null : api,
    ledger: { isEnded: async () => options.ended ?? false },
    mapping: billingMapping(config.billing, config.tiers),
    logger: createLogger({ level: 'silent', pretty: false }),
  };
  const job = (action: string, reason: string) => ({ id: 'billing-x-acme1', timestamp: 1700, data: { action, tenantId: 'acme1', reason } });
  return { ...core, deps, job };
}

describe('fireScheduledAction', () => {
  it('hibernates a tenant whose subscription is still past due, with a job id fixed per scheduled job', async () => {
    const t = setup();
    expect(await fireScheduledAction(t.deps, t.job('hibernate', 'payment-past-due'))).toBe('hibernate queued');
    expect(t.producer.jobs.map((j) => [j.name, j.jobId])).toEqual([['hibernate', 'billing-x-acme1-1700']]);
    expect(await t.store.get('acme1')).toMatchObject({ desired: { hibernated: true }, operation: { type: 'hibernate', reason: 'billing' } });
    // A retry of the scheduled job asks for the same operation: still one job.
    await fireScheduledAction(t.deps, t.job('hibernate', 'payment-past-due'));
    expect(t.producer.jobs).toHaveLength(1);
  });

  it('skips the hibernation when the subscription was paid meanwhile (the cancel did not reach us)', async () => {
    const t = setup({ status: 'active' });
    expect(await fireScheduledAction(t.deps, t.job('hibernate', 'payment-past-due'))).toContain('skipped');
    expect(t.producer.jobs).toEqual([]);
    expect(t.store.writes).toBe(0);
  });

  it("removes a cancelled subscription's tenant after retention, even if the API read is stale", async () => {
    const t = setup({ status: 'active', ended: true });
    expect(await fireScheduledAction(t.deps, t.job('deprovision', 'subscription-cancelled'))).toBe('deprovision queued');
    expect(t.producer.jobs.map((j) => j.name)).toEqual(['deprovision']);
    expect((await t.store.get('acme1'))?.operation).toMatchObject({ type: 'deprovision', state: 'queued', reason: 'billing' });
  });

  it('does nothing for a tenant that is gone', async () => {
    const t = setup({ tenant: undefined });
    expect(await fireScheduledAction(t.deps, t.job('deprovision', 'subscription-cancelled'))).toBe('tenant gone');
    expect(t.producer.jobs).toEqual([]);
  });

  it('does nothing, without failing, for a tenant already being removed', async () => {
    const t = setup({
      tenant: tenantRecord({ tenantId: 'acme1', operation: { type: 'deprovision', jobId: 'd-1', state: 'queued', at: '2026-03-01T00:00:00.000Z' } }),
    });
    expect(await fireScheduledAction(t.deps, t.job('hibernate', 'payment-past-due'))).toContain('nothing to do');
    expect(t.producer.jobs).toEqual([]);
    expect((await t.store.get('acme1'))?.operation).toMatchObject({ type: 'deprovision', jobId: 'd-1' });
  });

  it('trusts the schedule without an API key', async () => {
    const t = setup({ api: false, status: 'active' });
    await fireScheduledAction(t.deps, t.job('hibernate', 'payment-past-due'));
    expect(t.producer.jobs.map((j) => j.name)).toEqual(['hibernate']);
  });

  it('fails without retry on a payload that is not a scheduled action', async () => {
    const t = setup();
    await expect(fireScheduledAction(t.deps, { id: 'x', timestamp: 1, data: { action: 'rm -rf' } })).rejects.toThrow('not a billing scheduled action');
    expect(t.producer.jobs).toEqual([]);
  });
});
