import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.schema.ts';
import { expiryAction, expiryJobId } from '../../../src/lifecycle/expiry.ts';
import { tenantRecord } from './support/fake-intents.ts';

const policy = (p: Config['provisioning']['expiry']['policy'], deprovisionAfterSeconds = 3600) =>
  ({ platform: { namespacePrefix: 'tenant-' }, provisioning: { expiry: { sweepSeconds: 60, policy: p, deprovisionAfterSeconds } } }) as Config;
const expiresAt = '2026-03-01T00:00:00.000Z';
const at = (iso: string) => new Date(iso);
const demo = tenantRecord({ tier: 'demo', expiresAt, desired: { tier: 'demo', customDomain: null, resourceOverrides: {}, hibernated: false } });

describe('expiry policy', () => {
  it('does nothing before expiry, for tenants without one, or with policy none', () => {
    expect(expiryAction(policy('hibernate'), demo, at('2026-02-28T23:59:59Z'))).toBeUndefined();
    expect(expiryAction(policy('hibernate'), tenantRecord(), at('2030-01-01T00:00:00Z'))).toBeUndefined();
    expect(expiryAction(policy('none'), demo, at('2030-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('hibernates at expiry and removes after the grace period counted from the expiry itself', () => {
    const p = policy('hibernate-then-deprovision', 3600);
    expect(expiryAction(p, demo, at('2026-03-01T00:00:01Z'))).toBe('hibernate');
    const hibernated = { ...demo, desired: { ...demo.desired, hibernated: true } };
    expect(expiryAction(p, hibernated, at('2026-03-01T00:59:59Z'))).toBeUndefined();
    expect(expiryAction(p, hibernated, at('2026-03-01T01:00:00Z'))).toBe('deprovision');
    expect(expiryAction(policy('deprovision'), demo, at('2026-03-01T00:00:01Z'))).toBe('deprovision');
  });

  it("leaves tenants already being removed, and other installations' tenants, alone", () => {
    expect(expiryAction(policy('deprovision'), { ...demo, namespace: 'other-acme-abc123' }, at('2030-01-01T00:00:00Z'))).toBeUndefined();
    const removing = { ...demo, operation: { type: 'deprovision' as const, jobId: 'd', state: 'queued' as const, at: expiresAt } };
    expect(expiryAction(policy('deprovision'), removing, at('2030-01-01T00:00:00Z'))).toBeUndefined();
    expect(expiryAction(policy('deprovision'), { ...demo, terminating: true }, at('2030-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('gives two sweeps that saw the same state the same job id, and a resumed tenant a new one', () => {
    expect(expiryJobId('hibernate', demo)).toBe(expiryJobId('hibernate', structuredClone(demo)));
    const resumed = { ...demo, operation: { type: 'resume' as const, jobId: 'r-1', state: 'completed' as const, at: expiresAt } };
    expect(expiryJobId('hibernate', resumed)).not.toBe(expiryJobId('hibernate', demo));
    expect(expiryJobId('deprovision', demo)).toMatch(/^expiry-deprovision-acme-abc123-[0-9a-f]{16}$/);
  });
});
