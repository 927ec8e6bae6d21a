import { describe, expect, it } from 'vitest';
import type { JobAccepted } from '../../../src/api/provisioning/provisioning.schemas.ts';
import { problemOf, testApp } from './support/harness.ts';

/**
 * Finding 11: HTTP deprovision wrote the operation marker unconditionally, beside the guarded
 * intake that billing and the sweeps use. It now goes through the same intake and its table.
 */
describe('POST /api/provisioning/{tenantId}/deprovision goes through the one intake', () => {
  it('refuses a tenant whose namespace is already being deleted by something else, queueing nothing', async () => {
    const t = await testApp();
    t.registry.seed('acme-main', { terminating: true });
    const problem = await problemOf(await t.call('/api/provisioning/acme-main/deprovision', { method: 'POST' }), 409);
    expect(problem.detail).toMatch(/being removed/);
    expect(t.queue.jobs.size).toBe(0);
    expect(t.registry.calls.filter((c) => c.startsWith('write'))).toEqual([]);
  });

  it('records the removal with a write conditioned on the version it read, with its reason', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    const res = await t.call('/api/provisioning/acme-main/deprovision', { method: 'POST' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as JobAccepted;
    expect(t.registry.calls.filter((c) => /^(read|write)/.test(c))).toEqual(['read acme-main', 'write acme-main deprovision:queued']);
    expect(t.registry.tenants.get('acme-main')?.operation).toMatchObject({ type: 'deprovision', jobId: body.jobId, reason: 'api' });
  });
});
