import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../../src/config/load-config.ts';

// platform.backup and the tiers' backupRetention, layered over the shipped config/default.yaml as an
// operator's override file would be: the provider's fields and the rules between them.
const DEFAULT_YAML = readFileSync(new URL(`../../../${DEFAULT_CONFIG_FILE}`, import.meta.url), 'utf8');
const ENV = { AUTH_JWT_SECRET: 's'.repeat(32), KUBECONFIG: '/home/ops/.kube/config', CONFIG_FILE: 'override.yaml' };

const load = (override: string) => loadConfig({ env: ENV, files: { [DEFAULT_CONFIG_FILE]: DEFAULT_YAML, 'override.yaml': override } });

function issuesOf(override: string): string[] {
  try {
    load(override);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('platform.backup', () => {
  it('ships S3 with per-tier retention: 30 days for professional, 90 for enterprise, none without backups', () => {
    const config = load('');
    expect(config.platform.backup).toMatchObject({
      provider: 's3',
      destinationPrefix: 's3://mechanicbuddy-backups/tenants',
      endpointCA: false,
      credentialsSecret: { namespace: 'tenant-provisioner', name: 'backup-s3-credentials' },
      retentionPolicy: '30d',
    });
    expect(config.platform.backup.s3).toBeUndefined();
    expect([config.tiers.professional.backupRetention, config.tiers.enterprise.backupRetention]).toEqual(['30d', '90d']);
    expect([config.tiers.demo.backupRetention, config.tiers.free.backupRetention]).toEqual([undefined, undefined]);
  });

  it.each([
    ['gcs with a service-account key', 'provider: gcs\n    destinationPrefix: gs://acme/tenants'],
    [
      'gcs with workload identity and no Secret',
      'provider: gcs\n    destinationPrefix: gs://acme/tenants\n    gcs: { gkeEnvironment: true }\n    credentialsSecret: null',
    ],
    ['azure with a SAS token', 'provider: azure\n    destinationPrefix: https://acme.blob.core.windows.net/b/t\n    azure: { credentials: storageSasToken }'],
    ['s3 with a region and a private CA', 'endpointUrl: https://s3.example.com\n    endpointCA: true\n    s3: { region: true }'],
  ])('accepts %s', (_name, backup) => {
    expect(() => load(`platform:\n  backup:\n    ${backup}\n`)).not.toThrow();
  });

  it.each([
    [
      "a destination in another provider's scheme",
      'provider: gcs',
      'platform.backup.destinationPrefix: must start with gs:// for provider gcs, such as gs://bucket/tenants',
    ],
    [
      'azure without its kind of credentials',
      'provider: azure\n    destinationPrefix: https://acme.blob.core.windows.net/b/t',
      'platform.backup.azure: required with provider azure: credentials says what the Secret holds (connectionString, storageKey, storageSasToken)',
    ],
    ['options of a provider not chosen', 'gcs: { gkeEnvironment: true }', 'platform.backup.gcs: applies only to provider gcs, but provider is s3'],
    ['an unknown provider', 'provider: b2', 'platform.backup.provider: '],
    ['a destination that is no URL', 'destinationPrefix: mechanicbuddy-backups', 'platform.backup.destinationPrefix: must start with s3:// for provider s3'],
    [
      'an unknown kind of Azure credentials',
      'provider: azure\n    destinationPrefix: https://a.example/b\n    azure: { credentials: password }',
      'platform.backup.azure.credentials: ',
    ],
  ])('refuses %s, naming the field', (_name, backup, issue) => {
    expect(issuesOf(`platform:\n  backup:\n    ${backup}\n`)).toEqual([expect.stringContaining(issue)]);
  });

  it('requires a destination and the Secret of the keys the store reads while a tier has backups', () => {
    expect(issuesOf('platform:\n  backup:\n    destinationPrefix: null\n    credentialsSecret: null\n')).toEqual([
      'platform.backup.destinationPrefix: required because tiers professional, enterprise have backups enabled',
      'platform.backup.credentialsSecret: required because tiers professional, enterprise have backups enabled: provider s3 reads ACCESS_KEY_ID, ACCESS_SECRET_KEY from it',
    ]);
    const azure = 'provider: azure\n    destinationPrefix: https://a.example/b\n    azure: { credentials: storageKey }\n    credentialsSecret: null';
    expect(issuesOf(`platform:\n  backup:\n    ${azure}\n`)).toEqual([
      'platform.backup.credentialsSecret: required because tiers professional, enterprise have backups enabled: provider azure reads AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY from it',
    ]);
    // A private CA is read from the Secret even when the pods authenticate by workload identity.
    const gke = 'provider: gcs\n    destinationPrefix: gs://a/b\n    gcs: { gkeEnvironment: true }\n    endpointCA: true\n    credentialsSecret: null';
    expect(issuesOf(`platform:\n  backup:\n    ${gke}\n`)).toEqual([expect.stringContaining('provider gcs reads ENDPOINT_CA from it')]);
  });

  it('needs neither while no tier has backups', () => {
    const noBackups = 'tiers:\n  professional: { backupEnabled: false }\n  enterprise: { backupEnabled: false }\n';
    const config = load(`platform:\n  backup:\n    destinationPrefix: null\n    credentialsSecret: null\n${noBackups}`);
    expect(config.platform.backup.destinationPrefix).toBeNull();
  });

  it("refuses a tier's retention Barman would not accept", () => {
    expect(issuesOf('tiers:\n  enterprise: { backupRetention: 0d }\n')).toEqual(['tiers.enterprise.backupRetention: must look like 30d, 4w or 6m']);
    expect(issuesOf('tiers:\n  enterprise: { backupRetention: 90 days }\n')).toEqual(['tiers.enterprise.backupRetention: must look like 30d, 4w or 6m']);
  });

  it('takes versitygw tenant accounts only with an S3 gateway of its own endpoint, its admin Secret and no private CA', () => {
    const gateway = 'tenantAccounts: versitygw\n    endpointUrl: http://versitygw.storage:7070';
    expect(load(`platform:\n  backup:\n    ${gateway}\n`).platform.backup.tenantAccounts).toBe('versitygw');
    expect(load('').platform.backup.tenantAccounts).toBe('none');
    const refused = 'platform.backup.tenantAccounts: versitygw accounts need provider s3';
    expect(issuesOf('platform:\n  backup:\n    tenantAccounts: versitygw\n')).toEqual([expect.stringContaining(refused)]);
    expect(issuesOf(`platform:\n  backup:\n    ${gateway}\n    endpointCA: true\n`)).toEqual([expect.stringContaining(refused)]);
    expect(issuesOf(`platform:\n  backup:\n    ${gateway}\n    credentialsSecret: null\n`)).toContainEqual(expect.stringContaining(refused));
  });
});
