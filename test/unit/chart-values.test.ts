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
  offboarding: { retentionSeconds: 0 },
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
    // (1+1) postgres, each with the backup plugin's sidecar (50m-500m, 128Mi-256Mi), + (2+1) api + (2+1) web.
    expect(quota).toEqual({
      requests: { cpu: '1650m', memory: '3584Mi', storage: '100Gi' },
      limits: { cpu: '7500m', memory: '7Gi' },
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
      requests: { cpu: '2450m', memory: '5376Mi', storage: '100Gi' },
      limits: { cpu: '11', memory: '10752Mi' },
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
      provider: 's3',
      endpointCA: false,
      s3: { region: false },
      sidecarResources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    });
    // Without backups, exactly the keys every chart version knows: a tenant pinned to a chart from
    // before the Barman Cloud plugin still installs.
    expect(buildChartValues(input({}, demo)).backup).toEqual({
      enabled: false,
      destinationPath: null,
      endpointURL: null,
      credentialsSecret: null,
      schedule: '0 0 2 * * *',
      retentionPolicy: '30d',
    });
  });

  it("keeps backups for the tier's retention, else the platform's", () => {
    const raw = input();
    const platform = { ...raw.platform, backup: { ...raw.platform.backup, retentionPolicy: '4w' } };
    expect(buildChartValues({ ...raw, platform }).backup.retentionPolicy).toBe('4w');
    expect(buildChartValues({ ...raw, platform, tierLimits: { ...professional, backupRetention: '6m' } }).backup.retentionPolicy).toBe('6m');
    expect(() => buildChartValues({ ...raw, tierLimits: { ...professional, backupRetention: '0d' } })).toThrow(/must look like 30d, 4w or 6m/);
  });

  it('names no credentials Secret for a store that reads none (GKE workload identity)', () => {
    const raw = input();
    const gke = { provider: 'gcs', destinationPrefix: 'gs://backups/tenants', gcs: { gkeEnvironment: true } } as const;
    const values = buildChartValues({ ...raw, platform: { ...raw.platform, backup: gke } });
    expect(values.backup).toMatchObject({
      provider: 'gcs',
      destinationPath: 'gs://backups/tenants/acme-auto',
      credentialsSecret: null,
      gcs: { gkeEnvironment: true },
    });
    const withCA = buildChartValues({ ...raw, platform: { ...raw.platform, backup: { ...gke, endpointCA: true } } });
    expect(withCA.backup.credentialsSecret).toBe('acme-auto-backup-credentials');
  });

  it('counts the backup sidecar in the quota only with backups, and lets the LimitRange admit it', () => {
    const sidecar = { cpuRequest: '100m', cpuLimit: '2', memoryRequest: '256Mi', memoryLimit: '2Gi' };
    const raw = input();
    const withBackups = buildChartValues({ ...raw, platform: { ...raw.platform, backup: { ...raw.platform.backup, sidecarResources: sidecar } } });
    const without = buildChartValues({ ...raw, tierLimits: { ...professional, backupEnabled: false } });
    // Two PostgreSQL pods (an instance and CloudNativePG's job pod) each carry one sidecar.
    expect(withBackups.quota.requests).toEqual({ cpu: '1750m', memory: '3840Mi', storage: '100Gi' });
    expect(without.quota.requests).toEqual({ cpu: '1550m', memory: '3328Mi', storage: '100Gi' });
    expect(withBackups.quota.limits).toEqual({ cpu: '10500m', memory: '10752Mi' });
    expect(withBackups.quota.pods).toBe(without.quota.pods);
    // A sidecar larger than any component raises the ceiling; the defaults stay the components'.
    expect(withBackups.limitRange.max).toEqual({ cpu: '2', memory: '2Gi' });
    expect(withBackups.limitRange.default).toEqual(without.limitRange.default);
    expect(without.limitRange.max).toEqual({ cpu: '1000m', memory: '1Gi' });
  });

  it('refuses a backup tier when the platform has no backup destination', () => {
    const raw = input();
    const withoutDestination = { ...raw, platform: { ...raw.platform, backup: {} } };
    expect(() => buildChartValues(withoutDestination)).toThrow(ZodError);
    expect(() => buildChartValues(withoutDestination)).toThrow(/professional has backups enabled but no backup destination/);
  });

  it("refuses a backup tier whose destination is in another provider's scheme", () => {
    const raw = input();
    const mismatched = {
      ...raw,
      platform: { ...raw.platform, backup: { provider: 'azure', destinationPrefix: 's3://b/t', azure: { credentials: 'storageKey' } } },
    } as const;
    expect(() => buildChartValues(mismatched)).toThrow(/must start with https:\/\/ for provider azure/);
    // Without backups on the tier the destination is never used, so it is not checked.
    expect(buildChartValues({ ...mismatched, tierLimits: demo, tierName: 'demo' }).backup.enabled).toBe(false);
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
