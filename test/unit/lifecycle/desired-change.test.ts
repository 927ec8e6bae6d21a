import { describe, expect, it } from 'vitest';
import { UpdateRequest } from '../../../src/domain/provision-request.ts';
import { imagesAtVersion, stackImagesOf } from '../../../src/domain/slots.ts';
import type { DesiredState } from '../../../src/domain/tenant-record.ts';
import type { RunningVersion } from '../../../src/domain/tenant-version.ts';
import { planUpdate } from '../../../src/lifecycle/desired-change.ts';
import { settledLayout } from '../../../src/lifecycle/tenant-values.ts';
import { testConfig } from '../api/support/config.ts';

const config = testConfig();
const platform = stackImagesOf(config.platform.images);
const at = (tag: string) => imagesAtVersion(platform, tag);
const base: DesiredState = { tier: 'professional', customDomain: null, resourceOverrides: {}, hibernated: false };
const running = (slot?: 'blue' | 'green'): RunningVersion => ({
  chart: { name: 'mechanicbuddy-tenant', version: '0.2.0' },
  app: platform.api.tag,
  images: {},
  valuesHash: 'sha256:0',
  revision: 3,
  at: '2026-12-01T00:00:00.000Z',
  ...(slot ? { slot } : {}),
});

const plan = (desired: DesiredState, run: RunningVersion | null, change: UpdateRequest) =>
  planUpdate(config, { desired, expiresAt: null, running: run }, UpdateRequest.parse(change)).desired;

describe('planUpdate: the release a tenant should run', () => {
  it('stages a new version on the slot that is not serving and keeps the serving one as previous', () => {
    const desired = plan(base, running(), { appVersion: 'v2' });
    expect(desired).toEqual({ ...base, images: at('v2'), slot: 'green', previous: { slot: 'blue', images: platform } });
    // The previous images are the stack's only: PostgreSQL's is not a slot's.
    expect(Object.keys(desired.previous!.images)).toEqual(['api', 'web', 'migrations']);
    expect(settledLayout(desired)).toEqual({ active: 'green', images: at('v2'), inactive: platform });
  });

  it('goes back to blue for the next version after green serves', () => {
    const inWindow = plan(base, running(), { appVersion: 'v2' });
    expect(plan(inWindow, running('green'), { appVersion: 'v3' })).toEqual({
      ...base,
      images: at('v3'),
      slot: 'blue',
      previous: { slot: 'green', images: at('v2') },
    });
  });

  it('re-targets a pending switch, and the serving version cancels it', () => {
    const pending = plan(base, running(), { appVersion: 'v2' });
    expect(plan(pending, running(), { appVersion: 'v3' })).toEqual({ ...pending, images: at('v3') });
    expect(plan(pending, running(), { appVersion: platform.api.tag })).toEqual({ ...base, images: platform, slot: 'blue' });
  });

  it('changes images in place where nothing serves: never deployed, or hibernated', () => {
    expect(plan(base, null, { appVersion: 'v2' })).toEqual({ ...base, images: at('v2') });
    expect(plan({ ...base, hibernated: true }, running(), { appVersion: 'v2' })).toEqual({ ...base, hibernated: true, images: at('v2') });
  });

  it('carries the release over an update that names no version, and the same version changes nothing', () => {
    const inWindow = plan(base, running(), { appVersion: 'v2' });
    expect(plan(inWindow, running('green'), { subscriptionTier: 'enterprise' })).toEqual({ ...inWindow, tier: 'enterprise' });
    expect(plan(base, running(), { appVersion: platform.api.tag })).toEqual(base);
    expect(plan(base, running(), { customDomain: 'shop.example.org' })).toEqual({ ...base, customDomain: 'shop.example.org' });
  });

  it('refuses latest and a tag that is not one', () => {
    expect(UpdateRequest.safeParse({ appVersion: 'latest' }).success).toBe(false);
    expect(UpdateRequest.safeParse({ appVersion: '-rf' }).success).toBe(false);
    expect(UpdateRequest.safeParse({ appVersion: 'v2.4.1' }).success).toBe(true);
  });
});
