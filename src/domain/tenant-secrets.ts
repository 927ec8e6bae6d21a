/**
 * The contract between the service and the tenant chart about Secrets. The chart renders no
 * Secret: the service creates these once in the tenant namespace (before `helm upgrade
 * --install`) and never regenerates them, and the chart only references them by name and key.
 * Keep in step with charts/mechanicbuddy-tenant/README.md ("Secrets the service creates").
 */

/** Secret names in a tenant's namespace, derived from the tenant id so every caller agrees. */
export function tenantSecretNames(tenantId: string) {
  return {
    /** `kubernetes.io/basic-auth`; CloudNativePG's initdb creates the database owner from it. */
    database: `${tenantId}-db-credentials`,
    /** Opaque; this tenant's own application keys (never the management API's). */
    app: `${tenantId}-app-secrets`,
    /** `kubernetes.io/basic-auth`; the first administrator, seeded by the migration step. */
    admin: `${tenantId}-admin-credentials`,
    /** Opaque; a copy of the platform's object-store credentials for the tenant's ObjectStore (backup tiers only). */
    backupCredentials: `${tenantId}-backup-credentials`,
  } as const;
}
export type TenantSecretNames = ReturnType<typeof tenantSecretNames>;

/** The keys the chart reads from each Secret. */
export const TENANT_SECRET_KEYS = {
  /** `username` must equal the chart's `postgres.owner` (CloudNativePG refuses otherwise). */
  database: { username: 'username', password: 'password' },
  /** `smtp-password` is optional (the API starts without mail); the others are required. */
  app: {
    jwtSigningKey: 'jwt-signing-key',
    consumerSecret: 'consumer-secret',
    sessionSecret: 'session-secret',
    smtpPassword: 'smtp-password',
  },
  admin: { username: 'username', password: 'password' },
  /** Which of these the Secret holds depends on platform.backup (requiredCredentialKeys in backup-store.ts). */
  backupCredentials: {
    // s3; region only with platform.backup.s3.region
    accessKeyId: 'ACCESS_KEY_ID',
    secretAccessKey: 'ACCESS_SECRET_KEY',
    region: 'ACCESS_REGION',
    // gcs: a service-account key (JSON), unless the pods use GKE's workload identity
    applicationCredentials: 'APPLICATION_CREDENTIALS',
    // azure: a connection string, or the account with a key or a SAS token
    connectionString: 'AZURE_CONNECTION_STRING',
    storageAccount: 'AZURE_STORAGE_ACCOUNT',
    storageKey: 'AZURE_STORAGE_KEY',
    storageSasToken: 'AZURE_STORAGE_SAS_TOKEN',
    // any provider, with platform.backup.endpointCA: the PEM bundle of the endpoint's private CA
    endpointCA: 'ENDPOINT_CA',
  },
} as const;
