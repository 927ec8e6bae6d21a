import { describe, expect, it } from 'vitest';
import { buildChartValues } from '../../../src/domain/chart-values.ts';
import { problemOf, testApp, validProvision, type TestApp } from './support/harness.ts';

/**
 * Finding 11: the API must refuse (422, before anything is created) every resource override the
 * worker's values builder would refuse, instead of answering 202 and failing the job at build-values.
 * Each candidate below is checked against the builder first, so the list cannot silently test nothing.
 */
const CANDIDATES: Record<string, unknown>[] = [
  { apiReplicas: 0 },
  { webReplicas: 0 },
  { apiReplicas: 0, webReplicas: 0 },
  { apiReplicas: 21 },
  { webReplicas: -1 },
  { postgresInstances: 0 },
  { postgresInstances: 10 },
  { mechanicLimit: 0 },
  { postgresStorageSize: 'big' },
  { postgresStorageSize: '' },
  { storageClass: '' },
];

function builderRefuses(t: TestApp, resourceOverrides: Record<string, unknown>): boolean {
  try {
    buildChartValues({
      platform: t.config.platform,
      tierName: 'professional',
      tierLimits: t.config.tiers.professional,
      tenant: { tenantId: 'acme-main', companyName: 'Acme', expiresAt: null, resourceOverrides: resourceOverrides as never },
    });
    return false;
  } catch {
    return true;
  }
}

describe('resource overrides: the API refuses what the values builder refuses', () => {
  it.each(CANDIDATES)('POST provision with %j is a 422 naming the field, and nothing is created', async (overrides) => {
    const t = await testApp();
    expect(builderRefuses(t, overrides)).toBe(true);
    const problem = await problemOf(await t.call('/api/provisioning/provision', { body: { ...validProvision, resourceOverrides: overrides } }), 422);
    expect(problem.type).toBe('tag:tenant-provisioner,2026:problem:validation_failed');
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(
      Object.keys(overrides)
        .map((key) => `resourceOverrides.${key}`)
        .sort(),
    );
    expect(t.registry.calls).toEqual([]);
    expect(t.queue.jobs.size).toBe(0);
  });

  it.each(CANDIDATES)('PUT update with %j is a 422 from validation, before any cluster read', async (overrides) => {
    const t = await testApp();
    t.registry.seed('acme-main');
    const problem = await problemOf(await t.call('/api/provisioning/acme-main', { method: 'PUT', body: { resourceOverrides: overrides } }), 422);
    expect(problem.type).toBe('tag:tenant-provisioner,2026:problem:validation_failed');
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(
      Object.keys(overrides)
        .map((key) => `resourceOverrides.${key}`)
        .sort(),
    );
    expect(t.registry.calls).toEqual([]);
    expect(t.queue.jobs.size).toBe(0);
  });

  it('accepts overrides the builder accepts (control)', async () => {
    const t = await testApp();
    const overrides = { apiReplicas: 1, webReplicas: 20, postgresInstances: 3, postgresStorageSize: '20Gi', mechanicLimit: null, storageClass: 'fast-ssd' };
    expect(builderRefuses(t, overrides)).toBe(false);
    expect((await t.call('/api/provisioning/provision', { body: { ...validProvision, resourceOverrides: overrides } })).status).toBe(202);
  });
});

describe('PostgreSQL settings: PUT refuses what the tier cannot take, naming each setting', () => {
  it('is a 422 for a setting CloudNativePG fixes, one outside the allowlist and one past the tier’s bounds; nothing is queued', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    const parameters = { archive_mode: 'off', fsync: 'off', max_connections: '100000', work_mem: '8MB' };
    const problem = await problemOf(await t.call('/api/provisioning/acme-main', { method: 'PUT', body: { postgresql: { parameters } } }), 422);
    expect(problem.type).toBe('tag:tenant-provisioner,2026:problem:validation_failed');
    expect(Object.fromEntries((problem.errors ?? []).map((e) => [e.path, e.message]))).toEqual({
      'postgresql.parameters.archive_mode': 'is fixed by CloudNativePG and cannot be set',
      'postgresql.parameters.fsync': expect.stringContaining('is not a parameter the platform allows'),
      'postgresql.parameters.max_connections': expect.stringContaining('must be a whole number from 10 to'),
    });
    expect(t.queue.jobs.size).toBe(0);
  });

  it('accepts settings within the bounds (control)', async () => {
    const t = await testApp();
    t.registry.seed('acme-main');
    const res = await t.call('/api/provisioning/acme-main', {
      method: 'PUT',
      body: { postgresql: { parameters: { work_mem: '8MB', statement_timeout: '30s' } } },
    });
    expect(res.status).toBe(202);
  });
});
