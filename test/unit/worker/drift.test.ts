import { describe, expect, it } from 'vitest';
import type { DesiredState } from '../../../src/domain/tenant-record.ts';
import type { RunningVersion } from '../../../src/domain/tenant-version.ts';
import { desiredHashOf } from '../../../src/lifecycle/running-version.ts';
import { findDrift, findIntentDrift, type ExpectedShape, type ObservedShape } from '../../../src/worker/sweeps/drift.ts';

const now = new Date('2026-03-01T12:00:00Z');
const expected: ExpectedShape = { hibernated: false, postgresInstances: 3, apiReplicas: 3, webReplicas: 3 };
const healthy: ObservedShape = {
  release: { revision: 4, status: 'deployed', modifiedAt: new Date('2026-03-01T11:00:00Z') },
  database: { instances: 3, hibernated: false },
  apiReplicas: 3,
  webReplicas: 3,
};
const drift = (observed: Partial<ObservedShape>, e: ExpectedShape = expected) => findDrift(e, { ...healthy, ...observed }, now, 600);

describe('findDrift', () => {
  it('sees no drift in a tenant that matches its desired state', () => {
    expect(drift({})).toBeUndefined();
    expect(drift({ database: { instances: 3, hibernated: true }, apiReplicas: 0, webReplicas: 0 }, { ...expected, hibernated: true })).toBeUndefined();
  });

  it('reports a missing, failed or long-pending release, but not one pending for a moment', () => {
    expect(drift({ release: undefined })).toBe('release missing');
    expect(drift({ release: { revision: 5, status: 'failed', modifiedAt: now } })).toBe('release failed at revision 5');
    expect(drift({ release: { revision: 5, status: 'pending-upgrade', modifiedAt: new Date(now.getTime() - 30_000) } })).toBeUndefined();
    expect(drift({ release: { revision: 5, status: 'pending-upgrade', modifiedAt: new Date(now.getTime() - 900_000) } })).toMatch(
      /stuck in pending-upgrade for 900 s/,
    );
  });

  it('reports hibernation, instance and replica mismatches against the desired state', () => {
    expect(drift({ database: { instances: 3, hibernated: true } })).toMatch(/hibernated, desired running/);
    expect(drift({ database: { instances: 1, hibernated: false } })).toMatch(/1 instances, desired 3/);
    expect(drift({ apiReplicas: 1 })).toMatch(/API has 1 replicas, desired 3/);
    expect(drift({ webReplicas: undefined })).toMatch(/Web has no replicas/);
    expect(drift({ database: undefined })).toBe('database cluster missing');
    expect(drift({ database: { instances: 3, hibernated: true }, apiReplicas: 3, webReplicas: 0 }, { ...expected, hibernated: true })).toMatch(
      /API has 3 replicas, desired 0/,
    );
  });
});

describe('findIntentDrift', () => {
  const desired: DesiredState = { tier: 'demo', customDomain: null, resourceOverrides: {}, hibernated: false, slot: 'green' };
  const running = (applied: DesiredState, slot: RunningVersion['slot']): RunningVersion => ({
    chart: { name: 'c', version: '1' },
    app: 'v1',
    images: {},
    valuesHash: 'sha256:00',
    revision: 3,
    slot,
    desiredHash: desiredHashOf(applied),
    at: '2026-03-01T11:00:00.000Z',
  });

  it('reports Services on another slot than the desired one', () => {
    expect(findIntentDrift(desired, running(desired, 'blue'))).toBe('Services select the blue slot, desired green');
    expect(findIntentDrift({ ...desired, slot: undefined }, running(desired, 'green'))).toBe('Services select the green slot, desired blue');
  });

  it('reports a deploy of a desired state the tenant no longer asks for, on the same slot and replica counts', () => {
    expect(findIntentDrift(desired, running({ ...desired, tier: 'free' }, 'green'))).toBe(
      'revision 3 was deployed from a desired state the tenant no longer asks for',
    );
    expect(findIntentDrift(desired, running(desired, 'green'))).toBeUndefined();
  });

  it('does not judge a tenant with no running record, or one recorded before the fingerprint was kept', () => {
    expect(findIntentDrift(desired, undefined)).toBeUndefined();
    expect(findIntentDrift(desired, { ...running({ ...desired, tier: 'free' }, 'green'), desiredHash: undefined })).toBeUndefined();
  });
});
