import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ZodError } from 'zod';
import type { PlatformConfig } from '../../src/config/platform-config.schema.ts';
import { buildChartValues, serializeChartValues, type ChartPlatformSettings, type ChartValuesInput } from '../../src/domain/chart-values.ts';
import { TENANT_SECRET_KEYS, tenantSecretNames } from '../../src/domain/tenant-secrets.ts';
import type { TierLimits } from '../../src/domain/tiers.ts';

// Inline numbers keep this test pure; test/chart/* checks the real config/default.yaml.
const professional: TierLimits = {
  postgresInstances: 1,
  postgresStorageSize: '50Gi',
  postgres: { cpuRequest: '250m', cpuLimit: '1000m', memoryRequest: '512Mi', memoryLimit: '1Gi' },
  apiReplicas: 2,
  api: { cpuRequest: '250m', cpuLimit: '1000m', memoryRequest: '512Mi', memoryLimit: '1Gi' },
  webReplicas: 2,
  web: { cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
  mechanicLimit: 20,
  backupEnabled: true,
  expiresAfterDays: null,
};
const demo: TierLimits = { ...professional, backupEnabled: false, mechanicLimit: 2, expiresAfterDays: 7 };

function input(overrides: Partial<ChartValuesInput['tenant']> = {}, tier = professional): ChartValuesInput {
  return {
    platform: {
      baseDomain: 'mechanicbuddy.app',
      clusterIssuer: 'letsencrypt-prod',
      images: {
        api: { repository: 'ghcr.io/mechanicbuddy/api', tag: '1.4.2' },
        web: { repository: 'ghcr.io/mechanicbuddy/web', tag: '1.4.2' },
        migrations: { repository: 'ghcr.io/mechanicbuddy/dbup', tag: '1.4.2' },
        postgres: { repository: 'ghcr.io/cloudnative-pg/postgresql', tag: '17.5' },
      },
      backup: { destinationPrefix: 's3://backups/tenants/' },
    },
    tierName: tier === demo ? 'demo' : 'professional',
    tierLimits: tier,
    tenant: { tenantId: 'acme-auto', companyName: 'Acme Auto', expiresAt: null, ...overrides },
  };
}

// Compile-time drift guard: the worker passes the service's platform configuration as is.
const _platformConfigFits = (platform: PlatformConfig): ChartPlatformSettings => platform;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('buildChartValues', () => {
  it('takes the numbers from the tier', () => {
    const values = buildChartValues(input());
    expect(values.postgres.instances).toBe(1);
    expect(values.postgres.storage).toEqual({ size: '50Gi', storageClass: null });
    expect(values.api.replicas).toBe(2);
    expect(values.web.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(values.tenant).toEqual({ id: 'acme-auto', companyName: 'Acme Auto', tier: 'professional', expiresAt: null, mechanicLimit: 20 });
    expect(values.ingress).toEqual({ className: 'nginx', host: 'acme-auto.mechanicbuddy.app', customDomain: null, clusterIssuer: 'letsencrypt-prod' });
  });

  it('applies resource overrides, including an explicit unlimited mechanic limit', () => {
    const values = buildChartValues(
      input({ resourceOverrides: { apiReplicas: 4, postgresInstances: 2, postgresStorageSize: '80Gi', mechanicLimit: null, storageClass: 'fast' } }),
    );
    expect(values.api.replicas).toBe(4);
    expect(values.web.replicas).toBe(2);
    expect(values.postgres.instances).toBe(2);
    expect(values.postgres.storage).toEqual({ size: '80Gi', storageClass: 'fast' });
    expect(values.tenant.mechanicLimit).toBeNull();
    expect(values.limitRange.maxStorage).toBe('80Gi');
  });

  it('never mutates its input, so one tenant cannot leak overrides into the next', () => {
    const shared = deepFreeze(structuredClone(professional));
    const first = deepFreeze(input({ resourceOverrides: { apiReplicas: 9, postgresStorageSize: '500Gi' } }, shared));
    const before = structuredClone(first);
    buildChartValues(first);
    expect(first).toEqual(before);
    const second = buildChartValues(input({ tenantId: 'other-shop' }, shared));
    expect(second.api.replicas).toBe(2);
    expect(second.postgres.storage.size).toBe('50Gi');
  });

  it('returns objects that share nothing with the input', () => {
    const raw = input();
    const values = buildChartValues(raw);
    values.images.api.tag = 'changed';
    values.networkPolicy.kubernetesApi.cidrs.push('10.0.0.0/8');
    expect(raw.platform.images.api.tag).toBe('1.4.2');
    expect(buildChartValues(raw).networkPolicy.kubernetesApi.cidrs).toEqual(['0.0.0.0/0']);
  });

  it('derives the quota from the stack at its busiest and the limit range from its components', () => {
    const { quota, limitRange } = buildChartValues(input());
    // (1+1) postgres + (2+1) api + (2+1) web, each at its own size.
    expect(quota).toEqual({
      requests: { cpu: '1550m', memory: '3328Mi', storage: '100Gi' },
      limits: { cpu: '6500m', memory: '6656Mi' },
      pods: 8,
      persistentVolumeClaims: 2,
    });
    expect(limitRange).toEqual({
      max: { cpu: '1000m', memory: '1Gi' },
      default: { cpu: '500m', memory: '512Mi' },
      defaultRequest: { cpu: '100m', memory: '256Mi' },
      maxStorage: '50Gi',
    });
  });

  it('starts on blue with no inactive slot, and sizes the quota for both slots during a switch window', () => {
    const values = buildChartValues(input());
    expect([values.activeSlot, values.inactiveSlot]).toEqual(['blue', null]);
    const next = { repository: 'ghcr.io/mechanicbuddy/api', tag: '1.5.0' };
    const inactiveSlot = {
      images: { api: next, web: { ...next, repository: 'ghcr.io/mechanicbuddy/web' }, migrations: { ...next, repository: 'ghcr.io/mechanicbuddy/dbup' } },
      replicas: { api: 1, web: 2 },
    };
    const window = buildChartValues(input({ activeSlot: 'blue', inactiveSlot }));
    expect(window.inactiveSlot).toEqual(inactiveSlot);
    expect(window.inactiveSlot).not.toBe(inactiveSlot);
    // The busiest stack above plus (1+1) api and (2+1) web of the inactive slot.
    expect(window.quota).toEqual({
      requests: { cpu: '2350m', memory: '5Gi', storage: '100Gi' },
      limits: { cpu: '10', memory: '10Gi' },
      pods: 13,
      persistentVolumeClaims: 2,
    });
    expect(() => buildChartValues(input({ activeSlot: 'purple' as 'blue' }))).toThrow(ZodError);
    expect(() => buildChartValues(input({ inactiveSlot: { ...inactiveSlot, replicas: { api: 0, web: 1 } } }))).toThrow(ZodError);
  });

  it("runs the tenant's release on the active slot when it names one, PostgreSQL always the platform's", () => {
    const next = { repository: 'ghcr.io/mechanicbuddy/api', tag: '1.5.0' };
    const images = { api: next, web: { ...next, repository: 'ghcr.io/mechanicbuddy/web' }, migrations: { ...next, repository: 'ghcr.io/mechanicbuddy/dbup' } };
    const values = buildChartValues(input({ images }));
    expect(values.images).toEqual({ ...images, postgres: buildChartValues(input()).images.postgres });
    expect(values.images.api).not.toBe(next);
    expect(buildChartValues(input({ images: null })).images.api.tag).toBe('1.4.2');
  });

  it('references the Secrets of the shared contract, never their contents', () => {
    const values = buildChartValues(input());
    const names = tenantSecretNames('acme-auto');
    expect(values.secrets).toEqual({ database: names.database, app: names.app, admin: names.admin });
    expect(values.backup.credentialsSecret).toBe(names.backupCredentials);
    expect(TENANT_SECRET_KEYS.database).toEqual({ username: 'username', password: 'password' });
  });

  it('configures backups per tenant below the platform prefix, only for backup tiers', () => {
    expect(buildChartValues(input()).backup).toEqual({
      enabled: true,
      destinationPath: 's3://backups/tenants/acme-auto',
      endpointURL: null,
      credentialsSecret: 'acme-auto-backup-credentials',
      schedule: '0 0 2 * * *',
      retentionPolicy: '30d',
    });
    const noBackup = buildChartValues(input({}, demo)).backup;
    expect(noBackup).toMatchObject({ enabled: false, destinationPath: null, credentialsSecret: null });
  });

  it('refuses a backup tier when the platform has no backup destination', () => {
    const raw = input();
    const withoutDestination = { ...raw, platform: { ...raw.platform, backup: {} } };
    expect(() => buildChartValues(withoutDestination)).toThrow(ZodError);
    expect(() => buildChartValues(withoutDestination)).toThrow(/professional has backups enabled but no backup destination/);
  });

  it('refuses a custom domain under the base domain (another tenant could lose its host)', () => {
    expect(() => buildChartValues(input({ customDomain: 'victim.mechanicbuddy.app' }))).toThrow(/must not be mechanicbuddy.app or a subdomain of it/);
    expect(buildChartValues(input({ customDomain: 'shop.acme.example' })).ingress.customDomain).toBe('shop.acme.example');
  });

  it('refuses unpinned images and malformed tenants', () => {
    const raw = input();
    const latest = { ...raw, platform: { ...raw.platform, images: { ...raw.platform.images, web: { repository: 'x/web', tag: 'latest' } } } };
    expect(() => buildChartValues(latest)).toThrow(/must be pinned to a version/);
    expect(() => buildChartValues(input({ tenantId: 'Acme_Auto' }))).toThrow(ZodError);
    // A Service named "1st-garage-a1b2c3-api" is not a valid DNS-1035 name.
    expect(() => buildChartValues(input({ tenantId: '1st-garage-a1b2c3' }))).toThrow(/starting with a letter/);
    expect(() => buildChartValues(input({ expiresAt: 'next tuesday' }))).toThrow(ZodError);
    expect(() => buildChartValues(input({ resourceOverrides: { apiReplica: 3 } as never }))).toThrow(/apiReplica/);
  });

  it('passes the expiry and hibernation through as plain values', () => {
    const values = buildChartValues(input({ expiresAt: '2026-12-01T10:00:00Z', hibernated: true }, demo));
    expect(values.tenant.expiresAt).toBe('2026-12-01T10:00:00Z');
    expect(values.hibernated).toBe(true);
    expect(buildChartValues(input()).hibernated).toBe(false);
  });
});

describe('serializeChartValues', () => {
  it('round-trips through YAML, keeping YAML 1.1 look-alikes as strings', () => {
    const values = buildChartValues(input({ companyName: 'yes', expiresAt: '2026-12-01T10:00:00Z' }));
    const text = serializeChartValues(values);
    expect(text).toContain('companyName: "yes"');
    expect(parse(text, { version: '1.1' })).toEqual(values);
    expect(parse(text)).toEqual(values);
  });
});
