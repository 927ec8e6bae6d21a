import { z } from 'zod';
import { ExportsConfig } from './export-config.schema.ts';
import { AzureCredentials, BackupProvider, BackupSchedule, DestinationPrefix, RetentionPolicy, backupStoreProblems } from '../domain/backup-store.ts';
import { DNS1123_LABEL, Hostname, isDns1123Subdomain } from '../domain/dns-names.ts';
import { ImageRef } from '../domain/image.ts';
import { Quantity } from '../domain/quantity.ts';
import { TENANT_ID_MAX_LENGTH } from '../domain/tenant-id.ts';

const kubernetesName = (what: string) => z.string().refine(isDns1123Subdomain, 'must be a DNS-1123 subdomain (lowercase a-z, 0-9, - and .)').describe(what);

// Names are prefix + tenant id; Kubernetes caps namespaces at 63 characters and Helm caps releases at 53.
const namePrefix = (max: number, what: string) =>
  z
    .string()
    .regex(/^([a-z0-9][a-z0-9-]*)?$/, 'must be lowercase a-z, 0-9 and -, starting with a letter or digit')
    .max(max - TENANT_ID_MAX_LENGTH, `must be at most ${max - TENANT_ID_MAX_LENGTH} characters so that prefix + tenant id fits in ${max}`)
    .describe(what);

/** Where and how tenants are installed; another SaaS points these at its own chart and images. */
export const PlatformConfig = z
  .strictObject({
    baseDomain: Hostname.describe('Tenants are served at https://{tenantId}.{baseDomain}'),
    reservedTenantIds: z
      .array(z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lowercase DNS label'))
      .describe('Tenant ids refused because {id}.{baseDomain} is a platform host (www, api and admin always are)'),
    namespacePrefix: namePrefix(63, "Prefix of each tenant's namespace: {namespacePrefix}{tenantId}"),
    releasePrefix: namePrefix(53, "Prefix of each tenant's Helm release: {releasePrefix}{tenantId}"),
    claimsNamespace: z
      .string()
      .regex(DNS1123_LABEL, 'must be a namespace name (a DNS-1123 label)')
      .describe("The provisioner's own namespace, where each custom domain is claimed by one ConfigMap (two tenants never share a host); it must exist"),
    clusterIssuer: kubernetesName('cert-manager ClusterIssuer that signs tenant certificates'),
    ingressClassName: kubernetesName('IngressClass of tenant Ingresses'),
    storageClass: kubernetesName('StorageClass of tenant volumes unless a request overrides it')
      .nullable()
      .describe('StorageClass of tenant volumes unless a request overrides it; null uses the cluster default'),
    chart: z
      .strictObject({
        path: z.string().min(1).describe('Chart to install: a local directory (relative to the working directory) or an oci:// reference'),
        version: z.string().min(1).optional().describe('Chart version to pin when the chart comes from a registry'),
        archiveDir: z
          .string()
          .min(1)
          .optional()
          .describe(
            'With a local chart: a directory of its other packaged versions ({name}-{version}.tgz, as `helm package` writes them) that an update or a rollout may name; a registry chart serves every version itself',
          ),
      })
      .describe('The Helm chart of the tenant stack'),
    images: z
      .strictObject({
        api: ImageRef.describe('API image'),
        web: ImageRef.describe('Web image'),
        migrations: ImageRef.describe('Database migrations image, run before the API starts'),
        postgres: ImageRef.describe('PostgreSQL image for CloudNativePG'),
      })
      .describe('Container images of the tenant stack, passed to the chart'),
    closedPage: z
      .strictObject({
        externalName: Hostname.describe(
          "DNS name of the service that answers a closed account's hosts (for example the provisioner's own Service, tenant-provisioner.tenant-provisioner.svc.cluster.local)",
        ),
        port: z.int().min(1).max(65_535).describe('Its port'),
      })
      .nullable()
      .describe(
        "Where a closed account's Ingress sends its hosts, through an ExternalName Service in the tenant namespace; null: a closed account has no Ingress (its hosts get the ingress controller's default answer)",
      ),
    networkPolicy: z
      .strictObject({
        enabled: z.boolean().describe('Render the tenant NetworkPolicies (default deny plus what the stack needs)'),
        cnpgOperatorNamespace: kubernetesName('Namespace of the CloudNativePG operator (reaches instances on port 8000)'),
        ingressControllerNamespace: kubernetesName('Namespace of the ingress controller (reaches API and Web)'),
        kubernetesApiCidrs: z.array(z.string().min(1)).min(1).describe('CIDRs of the Kubernetes API endpoints that database instances reach'),
      })
      .describe('Tenant network isolation'),
    tenantAccess: z
      .strictObject({
        clusterRole: kubernetesName('ClusterRole with the namespaced rules the service needs inside a tenant namespace'),
        serviceAccount: kubernetesName("The service's own ServiceAccount"),
        serviceAccountNamespace: kubernetesName('Namespace of that ServiceAccount'),
      })
      .nullable()
      .describe(
        'Least privilege (charts/tenant-provisioner): bind this ClusterRole into each tenant namespace as it is created; null when the service runs with broader credentials (dev, compose)',
      ),
    backup: z
      .strictObject({
        provider: BackupProvider.describe(
          'Object store of tenant backups, written by the CloudNativePG Barman Cloud plugin: s3 (AWS S3 or any S3-compatible endpoint), gcs (Google Cloud Storage) or azure (Azure Blob Storage)',
        ),
        destinationPrefix: DestinationPrefix.nullable().describe(
          "Object-store prefix of tenant backups in the provider's scheme (s3://bucket/path, gs://bucket/path, https://account.blob.core.windows.net/container/path); each tenant writes below {prefix}/{tenantId}. Required when a tier has backups",
        ),
        endpointUrl: z.url().nullable().describe("Endpoint of an S3- or Azure-compatible store (SeaweedFS, R2, Azurite…); null: the provider's own"),
        endpointCA: z
          .boolean()
          .describe("The credentials Secret also holds the endpoint's CA bundle (PEM) under ENDPOINT_CA, for a store whose certificate a private CA signed"),
        credentialsSecret: z
          .strictObject({
            namespace: kubernetesName('Namespace of the source Secret'),
            name: kubernetesName('Name of the source Secret'),
          })
          .nullable()
          .describe(
            "Secret copied once into each backup tenant's namespace as {tenantId}-backup-credentials. Keys by provider: s3 ACCESS_KEY_ID, ACCESS_SECRET_KEY (and ACCESS_REGION with s3.region); gcs APPLICATION_CREDENTIALS (none with gcs.gkeEnvironment); azure per azure.credentials; ENDPOINT_CA with endpointCA. Required when a tier has backups, unless the store needs no key",
          ),
        s3: z
          .strictObject({
            region: z
              .boolean()
              .describe("The credentials Secret also holds ACCESS_REGION, the bucket's region (S3-compatible stores outside AWS often need one)"),
          })
          .optional()
          .describe('With provider s3 only'),
        gcs: z
          .strictObject({
            gkeEnvironment: z
              .boolean()
              .describe("Authenticate as the instance pods' GKE workload identity instead of with a service-account key (APPLICATION_CREDENTIALS)"),
          })
          .optional()
          .describe('With provider gcs only'),
        azure: z
          .strictObject({
            credentials: AzureCredentials.describe(
              'What the credentials Secret holds: connectionString (AZURE_CONNECTION_STRING), storageKey (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_KEY) or storageSasToken (AZURE_STORAGE_ACCOUNT, AZURE_STORAGE_SAS_TOKEN)',
            ),
          })
          .optional()
          .describe('With provider azure only, and required with it'),
        sidecarResources: z
          .strictObject({
            cpuRequest: Quantity.describe('CPU request'),
            cpuLimit: Quantity.describe('CPU limit'),
            memoryRequest: Quantity.describe('Memory request'),
            memoryLimit: Quantity.describe('Memory limit'),
          })
          .describe(
            "The plugin's sidecar in each PostgreSQL instance pod (it archives WAL and takes base backups); counted in backup tiers' ResourceQuota and LimitRange",
          ),
        tenantAccounts: z
          .enum(['none', 'versitygw'])
          .describe(
            "none: the credentials Secret is copied into each backup tenant's namespace. versitygw: each backup tenant gets an account of its own on the store (versitygw's admin API), with keys made for it and kept only in its namespace, which the bucket policy lets reach {destinationPrefix}/{tenantId}/ and nothing else; the credentials Secret then holds a versitygw admin account's keys, never copied, and a purge deletes the tenant's account. versitygw needs provider s3, an endpointUrl and no endpointCA",
          ),
        preflight: z
          .boolean()
          .describe(
            "Before a backup tier's database is made, and on the first update after each start of the worker (a configuration change), write, read and delete a marker object under the tenant's prefix with the tenant's credentials; a refused key, a missing bucket or a denied prefix fails the operation, a store that does not answer is retried. S3 stores only",
          ),
        schedule: BackupSchedule.describe('ScheduledBackup cron, seconds first'),
        retentionPolicy: RetentionPolicy.describe("How long backups are kept when the tier's backupRetention does not say"),
        exports: ExportsConfig,
      })
      .superRefine((backup, ctx) => {
        for (const problem of backupStoreProblems(backup)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
        if (backup.tenantAccounts === 'versitygw' && (backup.provider !== 's3' || !backup.endpointUrl || backup.endpointCA || !backup.credentialsSecret)) {
          const message = "versitygw accounts need provider s3, the gateway's endpointUrl, a credentialsSecret with its admin keys, and no endpointCA";
          ctx.addIssue({ code: 'custom', path: ['tenantAccounts'], message });
        }
      })
      .describe('Backups of tenant databases for tiers that have them (the Barman Cloud plugin)'),
  })
  .describe('The platform tenants are installed on');
export type PlatformConfig = z.infer<typeof PlatformConfig>;

const seconds = (what: string) => z.int().min(1).max(86_400).describe(`${what}, in seconds`);

/**
 * Per-step deadlines; each step must fit in the whole job's. There is no migration timeout: the
 * chart runs migrations as the API's init container, so waitForApi bounds them (include their time in it).
 */
export const TimeoutsConfig = z
  .strictObject({
    validate: seconds('Validate step (cluster and Helm reachability, id and domain free)'),
    deployChart: seconds('`helm upgrade --install` step'),
    waitForDatabase: seconds('Wait for the CloudNativePG Cluster to be ready'),
    waitForApi: seconds("Wait for the API Deployment rollout, database migrations included (the API's init container)"),
    waitForWeb: seconds('Wait for the Web Deployment rollout'),
    defaultStep: seconds('Any other step (set URLs, credentials, expiry, billing…)'),
    provisioning: seconds(
      'Deadline of each attempt of a whole tenant job (provision, update, hibernate, resume, undelete, purge; a deprovision gets this plus timeouts.backup for its final backup, a restore timeouts.restore); past it the job fails for good and is compensated',
    ),
    deprovision: seconds('Namespace deletion step of a deprovision job'),
    backup: seconds(
      "Wait for a backup to complete (on demand, or the final one before a purge); an on-demand backup job runs beside the tenant's operations, bounded by its own steps, not by timeouts.provisioning",
    ),
    restore: seconds(
      'Deadline of each attempt of a restore job, and its wait for the restored database (its base backup copied and its WAL replayed): as long as the largest database takes to restore; the other steps keep their own timeouts',
    ),
    kubernetesRequest: seconds(
      'Any one Kubernetes API request (watches excepted), so a hung API server fails a sweep, a billing lookup or a step instead of stalling it',
    ),
  })
  .superRefine((timeouts, ctx) => {
    for (const step of ['validate', 'deployChart', 'waitForDatabase', 'waitForApi', 'waitForWeb', 'defaultStep', 'deprovision'] as const) {
      if (timeouts[step] > timeouts.provisioning) {
        ctx.addIssue({ code: 'custom', path: [step], message: `must not exceed timeouts.provisioning (${timeouts.provisioning}s)` });
      }
    }
  })
  .describe('Timeouts, in seconds');
export type TimeoutsConfig = z.infer<typeof TimeoutsConfig>;
