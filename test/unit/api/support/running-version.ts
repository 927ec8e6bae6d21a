import type { RunningVersion } from '../../../../src/domain/tenant-version.ts';

/** A tenant's running-version record as a deploy writes it, for seeding the fake registry. */
export const runningVersion = (app: string, o: Partial<RunningVersion> = {}): RunningVersion => ({
  chart: { name: 'mechanicbuddy-tenant', version: '0.2.0' },
  app,
  images: {},
  valuesHash: 'sha256:00',
  revision: 2,
  at: '2026-03-01T00:00:00.000Z',
  ...o,
});
