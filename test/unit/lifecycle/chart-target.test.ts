import { describe, expect, it } from 'vitest';
import { RolloutRequest, RolloutTarget, describeTarget, updateOf } from '../../../src/domain/rollout.ts';
import { UpdateRequest } from '../../../src/domain/provision-request.ts';
import { imagesAtVersion, stackImagesOf } from '../../../src/domain/slots.ts';
import type { DesiredState, TenantRecord } from '../../../src/domain/tenant-record.ts';
import { recordedTarget, type RunningVersion } from '../../../src/domain/tenant-version.ts';
import { chartRefFor } from '../../../src/helm/chart-catalog.ts';
import { pendingSwitch, rolledBack, withoutSwitch } from '../../../src/lifecycle/blue-green.ts';
import { planUpdate } from '../../../src/lifecycle/desired-change.ts';
import { planRollout, runsTarget } from '../../../src/lifecycle/rollout-plan.ts';
import { testConfig } from '../api/support/config.ts';

const config = testConfig();
const platform = stackImagesOf(config.platform.images);
const at = (tag: string) => imagesAtVersion(platform, tag);
const base: DesiredState = { tier: 'professional', customDomain: null, resourceOverrides: {}, hibernated: false };
const running = (chart: string, app = platform.api.tag, slot: 'blue' | 'green' = 'blue'): RunningVersion => ({
  chart: { name: 'mechanicbuddy-tenant', version: chart },
  app,
  images: {},
  valuesHash: 'sha256:0',
  revision: 3,
  slot,
  at: '2026-12-01T00:00:00.000Z',
});
const plan = (desired: DesiredState, run: RunningVersion | null, change: object) =>
  planUpdate(config, { desired, expiresAt: null, running: run }, UpdateRequest.parse(change)).desired;

describe('chart versions: where Helm finds them', () => {
  const local = { path: 'charts/t', archiveDir: '/archive' };
  const readChart = () => ({ name: 't', version: '0.2.0' });
  const exists = (path: string) => path === '/archive/t-0.3.0.tgz';
  it('installs the configured chart when none is named or it is that version, and a packaged archive for another', () => {
    expect(chartRefFor(local, undefined, readChart, exists)).toBe(local);
    expect(chartRefFor(local, '0.2.0', readChart, exists)).toEqual({ path: 'charts/t' });
    expect(chartRefFor(local, '0.3.0', readChart, exists)).toEqual({ path: '/archive/t-0.3.0.tgz' });
  });
  it('has no version a local chart lacks, nor any other without an archive directory', () => {
    expect(chartRefFor(local, '0.4.0', readChart, exists)).toBeUndefined();
    expect(chartRefFor({ path: 'charts/t' }, '0.3.0', readChart, exists)).toBeUndefined();
    expect(chartRefFor(local, '0.3.0', () => undefined, exists)).toBeUndefined();
  });
  it('asks a registry chart for the version, which Helm fetches', () => {
    expect(chartRefFor({ path: 'oci://r.example/t', version: '0.2.0' }, '0.3.0')).toEqual({ path: 'oci://r.example/t', version: '0.3.0' });
  });
});

describe('chart versions in an update', () => {
  it('upgrades in place when named alone, and carries the chart over later updates', () => {
    const desired = plan(base, running('0.2.0'), { chartVersion: '0.3.0' });
    expect(desired).toEqual({ ...base, chartVersion: '0.3.0' });
    expect(plan(desired, running('0.3.0'), { subscriptionTier: 'enterprise' })).toEqual({ ...desired, tier: 'enterprise' });
  });

  it('travels with a new release, the serving chart kept with the serving slot, and a switch given up goes back to it', () => {
    const desired = plan({ ...base, chartVersion: '0.2.0' }, running('0.2.0'), { appVersion: 'v2', chartVersion: '0.3.0' });
    expect(desired).toEqual({
      ...base,
      images: at('v2'),
      slot: 'green',
      chartVersion: '0.3.0',
      previous: { slot: 'blue', images: platform, chartVersion: '0.2.0' },
    });
    const tenant = { desired, running: running('0.2.0') };
    const pending = pendingSwitch(platform, tenant)!;
    expect(pending.servingChart).toBe('0.2.0');
    expect(withoutSwitch(desired, pending)).toEqual({ ...base, images: platform, slot: 'blue', chartVersion: '0.2.0' });
  });

  it('a switch given up from the configured chart has no chart version left', () => {
    const desired = plan(base, running('0.2.0'), { appVersion: 'v2', chartVersion: '0.3.0' });
    expect(desired.previous).toEqual({ slot: 'blue', images: platform });
    expect(withoutSwitch(desired, pendingSwitch(platform, { desired, running: running('0.2.0') })!)).toEqual({ ...base, images: platform, slot: 'blue' });
  });

  it('the serving version cancels a pending switch back onto the serving chart', () => {
    const pending = plan(base, running('0.2.0'), { appVersion: 'v2', chartVersion: '0.3.0' });
    expect(plan(pending, running('0.2.0'), { appVersion: platform.api.tag })).toEqual({ ...base, images: platform, slot: 'blue' });
  });

  it('a rollback within the window takes the chart back with the release (applied by the next upgrade)', () => {
    const desired = plan({ ...base, chartVersion: '0.2.0' }, running('0.2.0'), { appVersion: 'v2', chartVersion: '0.3.0' });
    const back = rolledBack(platform, { desired, running: running('0.3.0', 'v2', 'green') })!;
    expect(back).toEqual({
      ...base,
      slot: 'blue',
      images: platform,
      chartVersion: '0.2.0',
      previous: { slot: 'green', images: at('v2'), chartVersion: '0.3.0' },
    });
  });
});

describe('chart versions in a rollout', () => {
  it('targets an app version, a chart version or both, and not nothing', () => {
    expect(RolloutTarget.safeParse({}).success).toBe(false);
    expect(RolloutTarget.safeParse({ chartVersion: '0.3.0' }).success).toBe(true);
    const both = RolloutTarget.parse({ appVersion: 'v2', chartVersion: '0.3.0' });
    expect(updateOf(both)).toEqual({ appVersion: 'v2', chartVersion: '0.3.0' });
    expect(updateOf({ chartVersion: '0.3.0' })).toEqual({ chartVersion: '0.3.0' });
    expect(describeTarget(both)).toBe('app v2, chart 0.3.0');
  });

  it('a tenant runs the target when every version it names matches, and nothing is pending', () => {
    const t = { running: running('0.2.0', 'v2'), operation: null };
    expect(runsTarget(t, { chartVersion: '0.2.0' })).toBe(true);
    expect(runsTarget(t, { appVersion: 'v2', chartVersion: '0.3.0' })).toBe(false);
    expect(runsTarget(t, { appVersion: 'v2' })).toBe(true);
    expect(runsTarget({ running: null, operation: null }, { chartVersion: '0.2.0' })).toBe(false);
  });

  it('skips tenants already on the chart version and plans the rest', () => {
    const tenant = (tenantId: string, chart: string) =>
      ({ tenantId, tier: 'professional', terminating: false, pin: null, operation: null, running: running(chart) }) as unknown as TenantRecord;
    const planned = planRollout(RolloutRequest.parse({ target: { chartVersion: '0.3.0' }, strategy: { canary: { count: 0 } } }), [
      tenant('a', '0.2.0'),
      tenant('b', '0.3.0'),
    ]);
    expect(planned.waves.flatMap((w) => w.tenantIds)).toEqual(['a']);
    expect(planned.skipped).toEqual([{ tenantId: 'b', reason: 'already on the target' }]);
  });
});

describe('the recorded target a tenant drifts from', () => {
  const configured = { chart: '0.2.0', app: 'f44547f' };
  it('is the pin, else the release the desired state names, else the configured version', () => {
    expect(recordedTarget(configured, { desired: base })).toEqual(configured);
    expect(recordedTarget(configured, { desired: { ...base, images: at('v2'), chartVersion: '0.3.0' } })).toEqual({ chart: '0.3.0', app: 'v2' });
    expect(recordedTarget(configured, { pin: { version: { chart: '0.1.0', app: 'v1' } }, desired: { ...base, images: at('v2') } })).toEqual({
      chart: '0.1.0',
      app: 'v1',
    });
  });
});
