import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/config/config.schema.ts';
import { buildChartValues, effectiveParameters } from '../../../src/domain/chart-values.ts';
import { CNPG_FIXED_PARAMETERS } from '../../../src/domain/cnpg-fixed-parameters.ts';
import { PARAMETER_RULES, parameterProblems } from '../../../src/domain/postgres-parameters.ts';
import { planUpdate } from '../../../src/lifecycle/desired-change.ts';
import { testConfig } from '../api/support/config.ts';

const messages = (parameters: Record<string, string>, memory = '1Gi') =>
  Object.fromEntries(parameterProblems(parameters, memory).map((p) => [p.name, p.message]));

describe('PostgreSQL settings: the allowlist and its bounds', () => {
  it('refuses a parameter CloudNativePG fixes, by name, and one outside the allowlist as not allowed', () => {
    expect(messages({ archive_mode: 'off', shared_preload_libraries: 'pg_stat_statements', ssl: 'off' })).toEqual({
      archive_mode: 'is fixed by CloudNativePG and cannot be set',
      shared_preload_libraries: 'is fixed by CloudNativePG and cannot be set',
      ssl: 'is fixed by CloudNativePG and cannot be set',
    });
    expect(messages({ fsync: 'off' })).toEqual({ fsync: expect.stringContaining('is not a parameter the platform allows') });
    // No allowlisted parameter is one the operator fixes.
    expect(Object.keys(PARAMETER_RULES).filter((name) => CNPG_FIXED_PARAMETERS.has(name))).toEqual([]);
  });

  it("bounds max_connections and memory sizes by the tier's memory limit", () => {
    expect(messages({ max_connections: '256', work_mem: '64MB', shared_buffers: '409MB' })).toEqual({});
    expect(messages({ max_connections: '257', work_mem: '65MB', shared_buffers: '410MB' })).toEqual({
      max_connections: "must be a whole number from 10 to 256 (the bound follows the tier's memory)",
      work_mem: "must be from 64kB to 64MB for this tier's memory",
      shared_buffers: "must be from 16MB to 419430kB for this tier's memory",
    });
    // A quarter of the memory, a quarter of the connections.
    expect(messages({ max_connections: '65' }, '256Mi')).toEqual({ max_connections: expect.stringContaining('from 10 to 64') });
    expect(messages({ max_connections: '9', work_mem: '8', maintenance_work_mem: '1.5GB' })).toEqual({
      max_connections: expect.stringContaining('from 10 to 256'),
      work_mem: 'must be a size with its unit (kB, MB, GB or TB), such as 64MB',
      maintenance_work_mem: expect.stringContaining('with its unit'),
    });
  });

  it('reads durations with their units, the off value where there is one, reals and enumerations', () => {
    expect(messages({ statement_timeout: '0', lock_timeout: '500ms', idle_session_timeout: '2h', log_min_duration_statement: '-1' })).toEqual({});
    expect(messages({ statement_timeout: '2d', checkpoint_timeout: '0', random_page_cost: 'fast', jit: 'maybe', log_statement: 'ALL' })).toEqual({
      statement_timeout: 'must be from 1s to 1d, or 0 to turn it off',
      checkpoint_timeout: 'must be a duration with its unit (ms, s, min, h or d), such as 30s',
      random_page_cost: 'must be a number from 0.1 to 100',
      jit: 'must be one of on, off',
      log_statement: 'must be one of none, ddl, mod, all',
    });
    expect(messages({ checkpoint_completion_target: '0.9', random_page_cost: '1.1', wal_compression: 'zstd' })).toEqual({});
  });
});

describe('PostgreSQL settings in the desired state and the chart values', () => {
  const config = testConfig((c) => {
    c.tiers.professional.postgresql = { parameters: { max_connections: '100', work_mem: '4MB' } };
  });
  const tenant = { desired: { tier: 'professional' as const, customDomain: null, resourceOverrides: {}, hibernated: false }, expiresAt: null };
  const build = (own: Record<string, string> | undefined, tier: 'professional' | 'free' = 'professional') =>
    buildChartValues({
      platform: config.platform,
      tierName: tier,
      tierLimits: config.tiers[tier],
      tenant: { tenantId: 'acme-main', companyName: 'Acme', expiresAt: null, ...(own ? { postgresParameters: own } : {}) },
    });

  it("renders the tier's settings under the tenant's own, in name order, and no key without any", () => {
    expect(build({ work_mem: '16MB', statement_timeout: '30s' }).postgres.parameters).toEqual({
      max_connections: '100',
      statement_timeout: '30s',
      work_mem: '16MB',
    });
    expect(Object.keys(build({ work_mem: '16MB' }).postgres.parameters!)).toEqual(['max_connections', 'work_mem']);
    expect('parameters' in build(undefined, 'free').postgres).toBe(false);
    expect(effectiveParameters({}, undefined)).toEqual({});
  });

  it('refuses at the values builder what the tier cannot hold, at the path of the update request', () => {
    const error = (() => {
      try {
        build({ max_connections: '200' }, 'free');
      } catch (e) {
        return e as { issues: Array<{ path: string[] }> };
      }
    })();
    expect(config.tiers.free.postgres.memoryLimit).toBe('512Mi');
    expect(error?.issues.map((i) => i.path.join('.'))).toEqual(['tenant.postgresql.parameters.max_connections']);
  });

  it('sets a value, and null takes the tenant back to the tier', () => {
    const set = planUpdate(config, tenant, { postgresql: { parameters: { work_mem: '16MB', jit: 'off' } } }).desired;
    expect(set.postgresParameters).toEqual({ work_mem: '16MB', jit: 'off' });
    const unset = planUpdate(config, { ...tenant, desired: set }, { postgresql: { parameters: { work_mem: null, jit: null } } }).desired;
    expect(unset).not.toHaveProperty('postgresParameters');
    expect(planUpdate(config, { ...tenant, desired: set }, { customDomain: null }).desired.postgresParameters).toEqual(set.postgresParameters);
  });

  it("refuses a configured tier setting outside the tier's bounds at start-up, naming it", () => {
    const configured = testConfig((c) => {
      c.tiers.free.postgresql = { parameters: { max_connections: '500', archive_mode: 'off' } };
    });
    const parsed = Config.safeParse(configured);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['tiers.free.postgresql.parameters.max_connections', expect.stringContaining('from 10 to 128')],
      ['tiers.free.postgresql.parameters.archive_mode', 'is fixed by CloudNativePG and cannot be set'],
    ]);
  });
});
