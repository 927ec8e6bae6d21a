import { z } from 'zod';
import { TENANT_SECRET_KEYS } from './tenant-secrets.ts';

/**
 * Where tenant backups go: the object stores CloudNativePG's Barman Cloud plugin writes to, and
 * what each needs. Shared by the configuration schema and the chart-values builder, so the service
 * refuses at start-up what the chart would refuse at install time.
 */

/** s3: AWS S3 or any S3-compatible endpoint; gcs: Google Cloud Storage; azure: Azure Blob Storage. */
export const BACKUP_PROVIDERS = ['s3', 'gcs', 'azure'] as const;
export const BackupProvider = z.enum(BACKUP_PROVIDERS);
export type BackupProvider = z.infer<typeof BackupProvider>;

/** What an Azure credentials Secret holds: a connection string, or the account with a key or a SAS token. */
export const AZURE_CREDENTIALS = ['connectionString', 'storageKey', 'storageSasToken'] as const;
export const AzureCredentials = z.enum(AZURE_CREDENTIALS);
export type AzureCredentials = z.infer<typeof AzureCredentials>;

/** Barman's retention: a positive number of days, weeks or months (the ObjectStore CRD's own pattern). */
export const RetentionPolicy = z.string().regex(/^[1-9][0-9]*[dwm]$/, 'must look like 30d, 4w or 6m');

/** CloudNativePG's ScheduledBackup cron: six fields, seconds first. */
export const BackupSchedule = z.string().regex(/^\S+( \S+){5}$/, 'must be a six-field cron expression (seconds first)');

/** An object-store URL; backupStoreProblems checks it against the provider, which decides the scheme. */
export const DestinationPrefix = z.string().min(1);

/** Barman's destination schemes; Azure's is the blob endpoint (http only for an emulator such as Azurite). */
const DESTINATIONS: Record<BackupProvider, { pattern: RegExp; example: string }> = {
  s3: { pattern: /^s3:\/\/\S+$/, example: 's3://bucket/tenants' },
  gcs: { pattern: /^gs:\/\/\S+$/, example: 'gs://bucket/tenants' },
  azure: { pattern: /^https?:\/\/\S+$/, example: 'https://account.blob.core.windows.net/container/tenants' },
};

/** The settings that decide what an ObjectStore renders and which Secret keys it reads. */
export type BackupStoreSettings = {
  provider: BackupProvider;
  destinationPrefix: string | null;
  endpointCA: boolean;
  s3?: { region: boolean } | undefined;
  gcs?: { gkeEnvironment: boolean } | undefined;
  azure?: { credentials: AzureCredentials } | undefined;
};

/** The keys the tenant's copy of the credentials Secret must hold; empty when the store needs none. */
export function requiredCredentialKeys(settings: BackupStoreSettings): string[] {
  const KEYS = TENANT_SECRET_KEYS.backupCredentials;
  const keys: string[] = [];
  if (settings.provider === 's3') {
    keys.push(KEYS.accessKeyId, KEYS.secretAccessKey);
    if (settings.s3?.region) keys.push(KEYS.region);
  } else if (settings.provider === 'gcs') {
    if (!settings.gcs?.gkeEnvironment) keys.push(KEYS.applicationCredentials);
  } else {
    const credentials = settings.azure?.credentials;
    if (credentials === 'connectionString') keys.push(KEYS.connectionString);
    if (credentials === 'storageKey') keys.push(KEYS.storageAccount, KEYS.storageKey);
    if (credentials === 'storageSasToken') keys.push(KEYS.storageAccount, KEYS.storageSasToken);
  }
  if (settings.endpointCA) keys.push(KEYS.endpointCA);
  return keys;
}

/**
 * Where the settings contradict themselves, as issues relative to the backup section: a
 * destination in another provider's scheme, Azure without its kind of credentials, a section for a
 * provider that is not the one chosen (it would be silently ignored).
 */
export function backupStoreProblems(settings: BackupStoreSettings): Array<{ path: string[]; message: string }> {
  const { provider } = settings;
  const problems: Array<{ path: string[]; message: string }> = [];
  const destination = DESTINATIONS[provider];
  if (settings.destinationPrefix !== null && !destination.pattern.test(settings.destinationPrefix)) {
    problems.push({
      path: ['destinationPrefix'],
      message: `must start with ${destination.example.split('://')[0]}:// for provider ${provider}, such as ${destination.example}`,
    });
  }
  if (provider === 'azure' && settings.azure === undefined) {
    problems.push({ path: ['azure'], message: `required with provider azure: credentials says what the Secret holds (${AZURE_CREDENTIALS.join(', ')})` });
  }
  for (const section of BACKUP_PROVIDERS) {
    if (section !== provider && settings[section] !== undefined) {
      problems.push({ path: [section], message: `applies only to provider ${section}, but provider is ${provider}` });
    }
  }
  return problems;
}

/** The region an S3 client signs for when the credentials Secret names none (what AWS assumes too). */
export const DEFAULT_S3_REGION = 'us-east-1';

/** The plugin CloudNativePG calls for WAL archiving, base backups and recovery. */
export const BARMAN_CLOUD_PLUGIN = 'barman-cloud.cloudnative-pg.io';

/**
 * What the tenant chart names: its ObjectStore, and the server name the Cluster archives under
 * (the Cluster's own name, where the in-tree store put it, so older archives stay in one place).
 */
export function backupObjectNames(tenantId: string) {
  return { objectStore: `${tenantId}-object-store`, serverName: `${tenantId}-postgres` };
}
