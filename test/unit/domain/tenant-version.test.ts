import { describe, expect, it } from 'vitest';
import { configuredTarget, readLocalChartVersion } from '../../../src/helm/chart-version.ts';
import { appVersionOf, onTarget, PinRequest, targetOf, valuesHash, versionOf } from '../../../src/domain/tenant-version.ts';
import { desiredHashOf, runningVersionOf } from '../../../src/lifecycle/running-version.ts';
import { toTenantRecord } from '../../../src/kubernetes/tenant-record-codec.ts';
import { TENANT_ANNOTATIONS as A, MANAGED_BY, TENANT_LABELS as L } from '../../../src/domain/tenant-record.ts';

const image = (repository: string, tag: string) => ({ repository, tag });
const images = (api: string, web = api, migrations = api) => ({
  api: image('ghcr.io/mb/api', api),
  web: image('ghcr.io/mb/web', web),
  migrations: image('ghcr.io/mb/dbup', migrations),
  postgres: image('ghcr.io/cloudnative-pg/postgresql', '17.5'),
});

describe('tenant versions', () => {
  it('name the app by its images: one tag when API, Web and migrations agree, each one otherwise; postgres is not the app', () => {
    expect(appVersionOf(images('f44547f'))).toBe('f44547f');
    expect(appVersionOf(images('v2', 'v1'))).toBe('api=v2,web=v1,migrations=v2');
  });

  it('record what Helm says it installed, every image and the hash of the exact values given', () => {
    const release = {
      name: 'tenant-a',
      namespace: 'tenant-a',
      revision: 4,
      status: 'deployed' as const,
      description: '',
      chart: { name: 'mb-tenant', version: '0.3.1', appVersion: 'x' },
    };
    const desired = { tier: 'free' as const, customDomain: null, resourceOverrides: {}, hibernated: false, slot: 'green' as const };
    const applied = { desired, values: { images: images('v2'), activeSlot: 'green' as const }, yaml: 'a: 1\n' };
    const running = runningVersionOf(release, applied, new Date('2026-03-01T00:00:00Z'));
    expect(running).toEqual({
      chart: { name: 'mb-tenant', version: '0.3.1' },
      app: 'v2',
      images: { api: 'ghcr.io/mb/api:v2', web: 'ghcr.io/mb/web:v2', migrations: 'ghcr.io/mb/dbup:v2', postgres: 'ghcr.io/cloudnative-pg/postgresql:17.5' },
      valuesHash: valuesHash('a: 1\n'),
      revision: 4,
      slot: 'green',
      desiredHash: desiredHashOf(desired),
      database: { generation: 1 },
      at: '2026-03-01T00:00:00.000Z',
    });
    // Key order in the stored annotation does not change the fingerprint; a different intent does.
    expect(desiredHashOf({ hibernated: false, slot: 'green', resourceOverrides: {}, customDomain: null, tier: 'free' })).toBe(running.desiredHash);
    expect(desiredHashOf({ ...desired, tier: 'demo' })).not.toBe(running.desiredHash);
    expect(valuesHash('a: 1\n')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(valuesHash('a: 2\n')).not.toBe(valuesHash('a: 1\n'));
    expect(versionOf(running)).toEqual({ chart: '0.3.1', app: 'v2' });
    expect(versionOf(undefined)).toEqual({ chart: 'unknown', app: 'unknown' });
  });

  it('compare with the pin before the configuration, and leave an unknown target chart out of the comparison', () => {
    const configured = { chart: '0.2.0', app: 'v2' };
    expect(onTarget({ chart: '0.2.0', app: 'v2' }, configured)).toBe(true);
    expect(onTarget({ chart: '0.1.0', app: 'v2' }, configured)).toBe(false);
    expect(onTarget({ chart: '0.1.0', app: 'v2' }, { chart: null, app: 'v2' })).toBe(true);
    const pin = { version: { chart: '0.1.0', app: 'v1' } };
    expect(targetOf(configured, pin)).toEqual(pin.version);
    expect(targetOf(configured, null)).toBe(configured);
  });

  it('take the target chart version from the configuration, else from the local chart, read once', () => {
    const platform = { chart: { path: 'charts/x' }, images: images('v3') };
    let reads = 0;
    const target = configuredTarget(platform, () => (reads++, '9.9.9'));
    expect(target()).toEqual({ chart: '9.9.9', app: 'v3' });
    expect(target()).toEqual({ chart: '9.9.9', app: 'v3' });
    expect(reads).toBe(1);
    expect(configuredTarget({ ...platform, chart: { path: 'oci://r/x', version: '1.2.3' } }, () => 'ignored')()).toEqual({ chart: '1.2.3', app: 'v3' });
    expect(readLocalChartVersion('oci://registry.example/charts/x')).toBeNull();
  });

  it('refuse a pin without a reason or with a malformed version', () => {
    expect(PinRequest.safeParse({ version: { chart: '0.1.0', app: 'f44547f' }, reason: 'audit' }).success).toBe(true);
    expect(PinRequest.safeParse({ version: { chart: '0.1.0', app: 'f44547f' }, reason: '  ' }).success).toBe(false);
    expect(PinRequest.safeParse({ version: { chart: '../x', app: 'f44547f' }, reason: 'r' }).success).toBe(false);
    expect(PinRequest.safeParse({ version: { chart: '0.1.0' }, reason: 'r' }).success).toBe(false);
  });

  it('are read from the namespace annotations; an unreadable record reads as none', () => {
    const running = { chart: { name: 'c', version: '1' }, app: 'v1', images: {}, valuesHash: 'sha256:00', revision: 1, at: '2026-03-01T00:00:00.000Z' };
    const pin = { version: { chart: '1', app: 'v1' }, reason: 'r', pinnedBy: 'ops', pinnedAt: '2026-03-01T00:00:00.000Z' };
    const ns = (annotations: Record<string, string>) => ({
      metadata: {
        name: 'tenant-a',
        labels: { [L.managedBy]: MANAGED_BY, [L.tenantId]: 'a', [L.tier]: 'free' },
        annotations: { [A.desiredState]: JSON.stringify({ tier: 'free', customDomain: null, resourceOverrides: {}, hibernated: false }), ...annotations },
      },
    });
    expect(toTenantRecord(ns({ [A.runningVersion]: JSON.stringify(running), [A.versionPin]: JSON.stringify(pin) }))).toMatchObject({ running, pin });
    const garbled = toTenantRecord(ns({ [A.runningVersion]: '{"chart":', [A.versionPin]: JSON.stringify({ ...pin, extra: 1 }) }))!;
    expect(garbled.running).toBeUndefined();
    expect(garbled.pin).toBeUndefined();
  });
});
