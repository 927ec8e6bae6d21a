import { describe, expect, it } from 'vitest';
import { countDrift, emptyDriftReport, LISTED_DRIFT, versionDrift } from '../../../../src/worker/sweeps/version-drift.ts';
import { tenantRecord } from '../support/fake-intents.ts';

const target = { chart: '0.2.0', app: 'v2' };
const running = (chart: string, app: string) => ({
  chart: { name: 'c', version: chart },
  app,
  images: {},
  valuesHash: 'sha256:00',
  revision: 1,
  at: '2026-03-01T00:00:00.000Z',
});
const pin = (chart: string, app: string) => ({ version: { chart, app }, reason: 'r', pinnedBy: 'ops', pinnedAt: '2026-03-01T00:00:00.000Z' });

describe('version drift', () => {
  it('is a recorded version that is not the target: the pin when there is one, else the configured version', () => {
    expect(versionDrift(tenantRecord({ running: running('0.2.0', 'v2') }), target)).toBeUndefined();
    expect(versionDrift(tenantRecord({ running: running('0.1.0', 'v2') }), target)).toEqual({
      tenantId: 'acme-abc123',
      running: { chart: '0.1.0', app: 'v2' },
      target,
      pinned: false,
    });
    expect(versionDrift(tenantRecord({ running: running('0.1.0', 'v1'), pin: pin('0.1.0', 'v1') }), target)).toBeUndefined();
    expect(versionDrift(tenantRecord({ running: running('0.2.0', 'v2'), pin: pin('0.1.0', 'v1') }), target)).toMatchObject({
      pinned: true,
      target: { app: 'v1' },
    });
  });

  it('is unknown, not drift, for a tenant with no recorded version', () => {
    expect(versionDrift(tenantRecord(), target)).toBe('unknown');
  });

  it('counts every tenant and lists only the first ones, so a sweep report stays small', () => {
    const report = emptyDriftReport();
    for (let i = 0; i < LISTED_DRIFT + 5; i++) countDrift(report, versionDrift(tenantRecord({ tenantId: `t-${i}`, running: running('0.1.0', 'v1') }), target));
    countDrift(report, 'unknown');
    countDrift(report, undefined);
    expect(report.drifted).toBe(LISTED_DRIFT + 5);
    expect(report.unknown).toBe(1);
    expect(report.tenants).toHaveLength(LISTED_DRIFT);
  });
});
