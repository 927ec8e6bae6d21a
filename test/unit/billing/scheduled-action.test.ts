import { describe, expect, it } from 'vitest';
import { billingMapping } from '../../../src/billing/billing-mapping.ts';
import { fireScheduledAction } from '../../../src/billing/scheduled-action-worker.ts';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { testConfig } from '../api/support/config.ts';
import { subscriptionJson, tenantRecord } from './support/fixtures.ts';
import { FakeStripeApi } from './support/webhook-app.ts';

const config = testConfig();

function setup(options: { tenant?: TenantRecord | undefined; status?: string; api?: boolean; ended?: boolean } = {}) {
  const calls: Array<[string, string, unknown]> = [];
  const api = new FakeStripeApi();
  api.subscriptions.set('sub_unit1', subscriptionJson({ status: options.status ?? 'past_due' }));
  const tenant = 'tenant' in options ? options.tenant : tenantRecord({ tenantId: 't1' });
  const deps = {
    registry: { get: async () => tenant },
    intake: {
      update: async () => undefined,
      resume: async () => undefined,
      hibernate: async (id: string, o: unknown) => void calls.push(['hibernate', id, o]),
      deprovision: async (id: string, o: unknown) => void calls.push(['deprovision', id, o]),
    },
    api: options.api === false ? null : api,
    ledger: { isEnded: async () => options.ended ?? false },
    mapping: billingMapping(config.billing, config.tiers),
    logger: createLogger({ level: 'silent', pretty: false }),
  };
  const job = (action: string, reason: string) => ({ id: `billing-x-t1`, timestamp: 1700, data: { action, tenantId: 't1', reason } });
  return { deps, calls, job };
}

describe('fireScheduledAction', () => {
  it('hibernates a tenant whose subscription is still past due, with a job id fixed per scheduled job', async () => {
    const { deps, calls, job } = setup();
    expect(await fireScheduledAction(deps, job('hibernate', 'payment-past-due'))).toBe('hibernate queued');
    expect(calls).toEqual([['hibernate', 't1', { jobId: 'billing-x-t1-1700' }]]);
  });

  it('skips the hibernation when the subscription was paid meanwhile (the cancel did not reach us)', async () => {
    const { deps, calls, job } = setup({ status: 'active' });
    expect(await fireScheduledAction(deps, job('hibernate', 'payment-past-due'))).toContain('skipped');
    expect(calls).toEqual([]);
  });

  it('removes a cancelled subscription\'s tenant after retention, even if the API read is stale', async () => {
    const { deps, calls, job } = setup({ status: 'active', ended: true });
    await fireScheduledAction(deps, job('deprovision', 'subscription-cancelled'));
    expect(calls.map((c) => c[0])).toEqual(['deprovision']);
  });

  it('does nothing for a tenant that is gone', async () => {
    const { deps, calls, job } = setup({ tenant: undefined });
    expect(await fireScheduledAction(deps, job('deprovision', 'subscription-cancelled'))).toBe('tenant gone');
    expect(calls).toEqual([]);
  });

  it('trusts the schedule without an API key', async () => {
    const { deps, calls, job } = setup({ api: false, status: 'active' });
    await fireScheduledAction(deps, job('hibernate', 'payment-past-due'));
    expect(calls).toHaveLength(1);
  });

  it('fails without retry on a payload that is not a scheduled action', async () => {
    const { deps } = setup();
    await expect(fireScheduledAction(deps, { id: 'x', timestamp: 1, data: { action: 'rm -rf' } })).rejects.toThrow('not a billing scheduled action');
  });
});
