import { describe, expect, it } from 'vitest';
import type { GeneratedId, ValidationReport } from '../../../src/api/provisioning/provisioning.schemas.ts';
import { problemOf, testApp, validProvision } from './support/harness.ts';

// A tenant is served at {tenantId}.{baseDomain}: ids that would shadow the platform's own hosts are
// refused wherever an id comes in, and never generated.
const provision = '/api/provisioning/provision';

describe('reserved tenant ids', () => {
  it('provision refuses www, api, admin and the configured ids with 422 naming tenantId, before anything is written', async () => {
    const t = await testApp();
    expect(t.config.platform.reservedTenantIds).toEqual(expect.arrayContaining(['status', 'mail', 'dashboard']));
    for (const tenantId of ['www', 'api', 'admin', 'status', 'dashboard']) {
      const problem = await problemOf(await t.call(provision, { body: { ...validProvision, tenantId } }), 422);
      expect(problem.errors, tenantId).toEqual([{ path: 'tenantId', message: `"${tenantId}" is reserved for a platform host` }]);
    }
    expect(t.registry.calls).toEqual([]);
    expect(t.queue.jobs.size).toBe(0);
    // A look-alike that shadows nothing is an ordinary id.
    expect((await t.call(provision, { body: { ...validProvision, tenantId: 'www-garage' } })).status).toBe(202);
  });

  it("the configured list is the platform's own: emptying it keeps only www, api and admin reserved", async () => {
    const t = await testApp({ config: (c) => void (c.platform.reservedTenantIds = []) });
    expect((await t.call(provision, { body: { ...validProvision, tenantId: 'status' } })).status).toBe(202);
    const problem = await problemOf(await t.call(provision, { body: { ...validProvision, tenantId: 'admin' } }), 422);
    expect(problem.errors?.[0]?.path).toBe('tenantId');
  });

  it('validate reports a reserved id as an error of the body', async () => {
    const t = await testApp();
    const res = await t.call('/api/provisioning/validate', { body: { ...validProvision, tenantId: 'docs' } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual([{ path: 'tenantId', message: '"docs" is reserved for a platform host' }]);
  });

  it('generate-id never suggests a reserved id, even one the config reserves in the generated shape', async () => {
    // The harness's random hex is abc123: Acme's id would be acme-abc123.
    const t = await testApp({ config: (c) => void c.platform.reservedTenantIds.push('acme-abc123', 'acme-abc124') });
    const res = await t.call('/api/provisioning/generate-id?companyName=Acme');
    expect(res.status).toBe(200);
    expect((await res.json()) as GeneratedId).toEqual({ tenantId: 'acme-abc125' });
  });
});
