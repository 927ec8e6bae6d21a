import { beforeAll, describe, expect, it } from 'vitest';
import { requiredCredentialKeys } from '../../src/domain/backup-store.ts';
import { buildChartValues, type ChartPlatformSettings, type ChartValues } from '../../src/domain/chart-values.ts';
import type { TierName, TiersConfig } from '../../src/domain/tiers.ts';
import { findObject, renderChart, renderError, type K8sObject } from './helm.ts';
import { TEST_PLATFORM, loadTiers } from './tier-values.ts';

// Backups through CloudNativePG's Barman Cloud plugin, for each object-store provider: the values
// come from the service's own builder with that provider's platform settings, as the worker's would.
type BackupSettings = NonNullable<ChartPlatformSettings['backup']>;
type SecretRef = { name: string; key: string };

const CREDENTIAL_BLOCKS = ['s3Credentials', 'googleCredentials', 'azureCredentials'] as const;

let tiers: TiersConfig;
beforeAll(async () => {
  tiers = await loadTiers();
});

function values(backup: BackupSettings, tenantId = 'acme-auto', tier: TierName = 'professional', limits = tiers[tier]): ChartValues {
  return buildChartValues({
    platform: { ...TEST_PLATFORM, backup },
    tierName: tier,
    tierLimits: limits,
    tenant: { tenantId, companyName: 'Acme Auto', expiresAt: null },
  });
}

/** Every Secret reference below `node`, as name/key. */
function secretRefs(node: unknown): SecretRef[] {
  if (node === null || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  if (typeof record['name'] === 'string' && typeof record['key'] === 'string') return [record as SecretRef];
  return Object.values(record).flatMap(secretRefs);
}

const ref = (key: string): SecretRef => ({ name: 'acme-auto-backup-credentials', key });

type ProviderCase = [string, BackupSettings, string, Record<string, unknown>];
const PROVIDERS: ProviderCase[] = [
  [
    's3 with an S3-compatible endpoint',
    { provider: 's3', destinationPrefix: 's3://tenant-backups/tenants', endpointUrl: 'https://s3.example.com' },
    's3://tenant-backups/tenants/acme-auto',
    { s3Credentials: { accessKeyId: ref('ACCESS_KEY_ID'), secretAccessKey: ref('ACCESS_SECRET_KEY') } },
  ],
  [
    's3 with a region and a private CA',
    { provider: 's3', destinationPrefix: 's3://tenant-backups/tenants/', endpointCA: true, s3: { region: true } },
    's3://tenant-backups/tenants/acme-auto',
    {
      endpointCA: ref('ENDPOINT_CA'),
      s3Credentials: { accessKeyId: ref('ACCESS_KEY_ID'), secretAccessKey: ref('ACCESS_SECRET_KEY'), region: ref('ACCESS_REGION') },
    },
  ],
  [
    'gcs with a service-account key',
    { provider: 'gcs', destinationPrefix: 'gs://tenant-backups/tenants' },
    'gs://tenant-backups/tenants/acme-auto',
    { googleCredentials: { applicationCredentials: ref('APPLICATION_CREDENTIALS') } },
  ],
  [
    'gcs with GKE workload identity',
    { provider: 'gcs', destinationPrefix: 'gs://tenant-backups/tenants', gcs: { gkeEnvironment: true } },
    'gs://tenant-backups/tenants/acme-auto',
    { googleCredentials: { gkeEnvironment: true } },
  ],
  [
    'azure with a connection string',
    { provider: 'azure', destinationPrefix: 'https://acme.blob.core.windows.net/backups/tenants', azure: { credentials: 'connectionString' } },
    'https://acme.blob.core.windows.net/backups/tenants/acme-auto',
    { azureCredentials: { connectionString: ref('AZURE_CONNECTION_STRING') } },
  ],
  [
    'azure with a storage account key',
    { provider: 'azure', destinationPrefix: 'https://acme.blob.core.windows.net/backups/tenants', azure: { credentials: 'storageKey' } },
    'https://acme.blob.core.windows.net/backups/tenants/acme-auto',
    { azureCredentials: { storageAccount: ref('AZURE_STORAGE_ACCOUNT'), storageKey: ref('AZURE_STORAGE_KEY') } },
  ],
  [
    'azure with a SAS token through an emulator endpoint',
    {
      provider: 'azure',
      destinationPrefix: 'http://127.0.0.1:10000/devstoreaccount1/backups',
      endpointUrl: 'http://127.0.0.1:10000/devstoreaccount1',
      azure: { credentials: 'storageSasToken' },
    },
    'http://127.0.0.1:10000/devstoreaccount1/backups/acme-auto',
    { azureCredentials: { storageAccount: ref('AZURE_STORAGE_ACCOUNT'), storageSasToken: ref('AZURE_STORAGE_SAS_TOKEN') } },
  ],
];

describe('helm template, backups through the Barman Cloud plugin', () => {
  describe.each(PROVIDERS)('%s', (_name, backup, destinationPath, credentials) => {
    let rendered: ChartValues;
    let objects: K8sObject[];
    beforeAll(async () => {
      rendered = values(backup);
      objects = await renderChart(rendered);
    });

    it('renders an ObjectStore with exactly the credential block of its provider', () => {
      const store = findObject(objects, 'ObjectStore', 'acme-auto-object-store');
      expect(store.apiVersion).toBe('barmancloud.cnpg.io/v1');
      expect(store.spec).toEqual({
        retentionPolicy: '30d',
        configuration: {
          destinationPath,
          ...(backup.endpointUrl ? { endpointURL: backup.endpointUrl } : {}),
          ...credentials,
          wal: { compression: 'gzip' },
          data: { compression: 'gzip' },
        },
        instanceSidecarConfiguration: { resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } } },
      });
      expect(CREDENTIAL_BLOCKS.filter((block) => block in store.spec.configuration)).toHaveLength(1);
      // A serverName in the ObjectStore is refused by the plugin's CRD; it belongs to the Cluster's plugin parameters.
      expect(store.spec.configuration.serverName).toBeUndefined();
    });

    it('reads exactly the keys the service checks the platform Secret for, from the tenant copy only', () => {
      const store = findObject(objects, 'ObjectStore', 'acme-auto-object-store');
      const keys = secretRefs(store.spec).map((r) => r.key);
      const settings = { provider: rendered.backup.provider ?? 's3', endpointCA: rendered.backup.endpointCA ?? false, destinationPrefix: null };
      expect(keys.sort()).toEqual(requiredCredentialKeys({ ...rendered.backup, ...settings }).sort());
      expect(new Set(secretRefs(store.spec).map((r) => r.name))).toEqual(new Set(keys.length > 0 ? [rendered.backup.credentialsSecret] : []));
      expect(rendered.backup.credentialsSecret).toBe(keys.length > 0 ? 'acme-auto-backup-credentials' : null);
    });

    it('archives WAL through the plugin and schedules plugin backups', () => {
      const cluster = findObject(objects, 'Cluster', 'acme-auto-postgres');
      expect(cluster.spec.backup).toBeUndefined();
      expect(cluster.spec.plugins).toEqual([
        {
          name: 'barman-cloud.cloudnative-pg.io',
          isWALArchiver: true,
          parameters: { barmanObjectName: 'acme-auto-object-store', serverName: 'acme-auto-postgres' },
        },
      ]);
      const scheduled = findObject(objects, 'ScheduledBackup', 'acme-auto-postgres-backup');
      expect(scheduled.spec).toMatchObject({ method: 'plugin', pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' }, schedule: '0 0 2 * * *' });
      expect(scheduled.spec.schedule.split(' ')).toHaveLength(6);
    });
  });

  it('gives each tenant its own prefix below the platform one', async () => {
    const prefix = { provider: 's3', destinationPrefix: 's3://tenant-backups/tenants//' } as const;
    const paths = await Promise.all(
      ['acme-auto', 'other-garage'].map(async (tenantId) => {
        const store = findObject(await renderChart(values(prefix, tenantId)), 'ObjectStore', `${tenantId}-object-store`);
        return store.spec.configuration.destinationPath as string;
      }),
    );
    expect(paths).toEqual(['s3://tenant-backups/tenants/acme-auto', 's3://tenant-backups/tenants/other-garage']);
  });

  it("keeps backups as long as the tier says, else as the platform's default", async () => {
    const backup = { provider: 's3', destinationPrefix: 's3://b/t', retentionPolicy: '4w' } as const;
    const retention = async (limits: TiersConfig['professional']) =>
      findObject(await renderChart(values(backup, 'acme-auto', 'professional', limits)), 'ObjectStore', 'acme-auto-object-store').spec.retentionPolicy;
    expect(await retention({ ...tiers.professional, backupRetention: '6m' })).toBe('6m');
    const { backupRetention: _tierValue, ...withoutRetention } = tiers.professional;
    expect(await retention(withoutRetention)).toBe('4w');
  });

  it("opens the database's egress to the object store, and to GKE's metadata server only for workload identity", async () => {
    const egress = async (backup: BackupSettings) =>
      findObject(await renderChart(values(backup)), 'NetworkPolicy', 'acme-auto-database').spec.egress.slice(2) as unknown[];
    const objectStore = { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] };
    expect(await egress({ provider: 's3', destinationPrefix: 's3://b/t' })).toEqual([objectStore]);
    expect(await egress({ provider: 'gcs', destinationPrefix: 'gs://b/t' })).toEqual([objectStore]);
    expect(await egress({ provider: 'gcs', destinationPrefix: 'gs://b/t', gcs: { gkeEnvironment: true } })).toEqual([
      objectStore,
      { to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ port: 80, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: '169.254.169.252/32' } }], ports: [{ port: 988, protocol: 'TCP' }] },
    ]);
  });

  it('suspends the schedule while hibernated and keeps the store and the archiver', async () => {
    const hibernated = await renderChart({ ...values({ provider: 's3', destinationPrefix: 's3://b/t' }), hibernated: true });
    expect(findObject(hibernated, 'ScheduledBackup', 'acme-auto-postgres-backup').spec.suspend).toBe(true);
    expect(findObject(hibernated, 'ObjectStore', 'acme-auto-object-store')).toBeDefined();
    expect(findObject(hibernated, 'Cluster', 'acme-auto-postgres').spec.plugins).toHaveLength(1);
  });
});

describe('helm template, incomplete backup values fail with a message naming them', () => {
  let good: ChartValues;
  beforeAll(() => {
    good = values({ provider: 's3', destinationPrefix: 's3://tenant-backups/tenants' });
  });
  const withBackup = (backup: Partial<ChartValues['backup']>) => ({ ...good, backup: { ...good.backup, ...backup } });

  it.each<[string, Partial<ChartValues['backup']>, string]>([
    [
      'no destination',
      { destinationPath: null },
      'backup.enabled is true but backup.destinationPath is not set: give an object-store destination such as s3://backups/tenants/<tenant id>',
    ],
    [
      "a destination in another provider's scheme",
      { provider: 'gcs' },
      'backup.destinationPath s3://tenant-backups/tenants/acme-auto does not suit backup.provider gcs: it must start with gs://',
    ],
    [
      'no Secret for S3 keys',
      { credentialsSecret: null },
      'backup.enabled is true but backup.credentialsSecret is not set: name the Secret holding ACCESS_KEY_ID, ACCESS_SECRET_KEY (backup.provider s3)',
    ],
    [
      'no Secret for an Azure account key',
      { provider: 'azure', destinationPath: 'https://acme.blob.core.windows.net/b/acme-auto', azure: { credentials: 'storageKey' }, credentialsSecret: null },
      'backup.credentialsSecret is not set: name the Secret holding AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY (backup.provider azure)',
    ],
    [
      "no Secret for a private CA, even with GKE's workload identity",
      { provider: 'gcs', destinationPath: 'gs://b/acme-auto', gcs: { gkeEnvironment: true }, endpointCA: true, credentialsSecret: null },
      'backup.credentialsSecret is not set: name the Secret holding ENDPOINT_CA (backup.provider gcs)',
    ],
  ])('%s', async (_name, backup, message) => {
    expect(await renderError(withBackup(backup))).toContain(message);
  });

  it('needs no Secret for GKE workload identity alone', async () => {
    const objects = await renderChart(
      withBackup({ provider: 'gcs', destinationPath: 'gs://b/acme-auto', gcs: { gkeEnvironment: true }, credentialsSecret: null }),
    );
    expect(findObject(objects, 'ObjectStore', 'acme-auto-object-store').spec.configuration.googleCredentials).toEqual({ gkeEnvironment: true });
  });

  it('refuses an unknown provider or Azure credential kind by the values schema', async () => {
    expect(await renderError(withBackup({ provider: 'b2' as 's3' }))).toMatch(/at '\/backup\/provider': value must be one of 's3', 'gcs', 'azure'/);
    expect(await renderError(withBackup({ azure: { credentials: 'password' as 'storageKey' } }))).toMatch(/at '\/backup\/azure\/credentials'/);
  });
});
