import { z } from 'zod';
import { stringify } from 'yaml';
import {
  containerResources,
  deriveLimitRange,
  deriveQuota,
  type ChartLimitRange,
  type ChartQuota,
  type ContainerResources,
  type Workload,
} from './chart-quota.ts';
import { DatabaseSpec, FIRST_DATABASE, databaseName } from './database-generation.ts';
import { PostgresParameters, parameterProblems } from './postgres-parameters.ts';
import { tenantSecretNames } from './tenant-secrets.ts';
import {
  AzureCredentials,
  BackupProvider,
  BackupSchedule,
  DestinationPrefix,
  RetentionPolicy,
  backupStoreProblems,
  requiredCredentialKeys,
} from './backup-store.ts';
import { checkCustomDomain } from './custom-domain.ts';
import { Hostname, KubernetesName } from './dns-names.ts';
import { ImageRef } from './image.ts';
import { FIRST_SLOT, Slot, StackImages } from './slots.ts';
import { ResourceOverrides } from './resource-overrides.ts';
import { TenantId } from './tenant-id.ts';
import { ComputeResources, ReplicaCount, TierLimits, TierName } from './tiers.ts';

/**
 * Values for charts/mechanicbuddy-tenant, built from platform settings, a tier and a tenant.
 * Pure: it reads its input and returns new objects, so a tenant's overrides can never leak into
 * the shared tier configuration (the original mutated it). Everything here is public: Secrets are
 * referenced by name only (see tenant-secrets.ts).
 */

const DnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS label');
const PgIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase PostgreSQL identifier');
const Port = z.int().min(1).max(65535);
const Cidr = z.union([z.cidrv4(), z.cidrv6()]);

/**
 * The slot that is not active, while a switch window keeps it running: the images it runs (the
 * version it had or will have) and its replicas. The Services never select it.
 */
export const InactiveSlot = z.strictObject({
  images: StackImages,
  replicas: z.strictObject({ api: ReplicaCount, web: ReplicaCount }),
});
export type InactiveSlot = z.infer<typeof InactiveSlot>;

/** The platform part of the input: the same for every tenant, from the service's configuration. */
export const ChartPlatformSettings = z.object({
  baseDomain: Hostname,
  clusterIssuer: z.string().min(1),
  ingressClassName: z.string().min(1).default('nginx'),
  /** null: the cluster's default StorageClass. */
  storageClass: KubernetesName.nullable().default(null),
  /** The migrations image runs as the API's init container; postgres is CloudNativePG's operand. */
  images: z.object({ api: ImageRef, web: ImageRef, migrations: ImageRef, postgres: ImageRef }),
  database: z.object({ name: PgIdentifier.default('app'), owner: PgIdentifier.default('app') }).prefault({}),
  networkPolicy: z
    .object({
      enabled: z.boolean().default(true),
      cnpgOperatorNamespace: DnsLabel.default('cnpg-system'),
      ingressControllerNamespace: DnsLabel.default('ingress-nginx'),
      /** Where the API server's endpoints live; narrow this to the control plane's addresses. */
      kubernetesApiCidrs: z.array(Cidr).min(1).default(['0.0.0.0/0']),
      kubernetesApiPorts: z.array(Port).min(1).default([443, 6443]),
      objectStoreCidrs: z.array(Cidr).min(1).default(['0.0.0.0/0']),
      objectStorePorts: z.array(Port).min(1).default([443]),
    })
    .prefault({}),
  /** A blue-green smoke check is configured: the chart renders the staged slot's Services and lets the check's pod reach them. */
  smokeCheck: z.boolean().default(false),
  /** What answers a closed account's hosts (an ExternalName Service the chart renders); null: no Ingress while closed. */
  closedPage: z.object({ externalName: Hostname, port: Port }).nullable().default(null),
  backup: z
    .object({
      provider: BackupProvider.default('s3'),
      /** e.g. `s3://backups/tenants`; each tenant writes below `{prefix}/{tenantId}`. */
      destinationPrefix: DestinationPrefix.nullable().default(null),
      /** For S3- or Azure-compatible stores (SeaweedFS, R2, Azurite...); null means the provider's own. */
      endpointUrl: z.url().nullable().default(null),
      /** The credentials Secret holds the endpoint's CA bundle too. */
      endpointCA: z.boolean().default(false),
      s3: z.object({ region: z.boolean() }).optional(),
      gcs: z.object({ gkeEnvironment: z.boolean() }).optional(),
      azure: z.object({ credentials: AzureCredentials }).optional(),
      /** The plugin's sidecar in each PostgreSQL instance pod. */
      sidecarResources: ComputeResources.default({ cpuRequest: '50m', cpuLimit: '500m', memoryRequest: '128Mi', memoryLimit: '256Mi' }),
      schedule: BackupSchedule.default('0 0 2 * * *'),
      /** Used when the tier sets no backupRetention. */
      retentionPolicy: RetentionPolicy.default('30d'),
    })
    .prefault({}),
});
export type ChartPlatformSettings = z.input<typeof ChartPlatformSettings>;

export const ChartValuesInput = z
  .object({
    platform: ChartPlatformSettings,
    tierName: TierName,
    tierLimits: TierLimits,
    tenant: z.object({
      // TenantId is a DNS-1035 label: Services such as `{id}-api` and `{id}-postgres-rw` need one.
      tenantId: TenantId,
      companyName: z.string().trim().min(1).max(200),
      customDomain: Hostname.nullable().default(null),
      /** Stamped once at provision and passed on every upgrade, so an upgrade never extends a demo. */
      expiresAt: z.iso.datetime({ offset: true }).nullable(),
      hibernated: z.boolean().default(false),
      /** A closed account (src/lifecycle/offboarding.ts): API and Web at zero, its hosts on the closed page. */
      closed: z.boolean().default(false),
      /** The release the active slot runs; null: the platform's images. */
      images: StackImages.nullable().default(null),
      activeSlot: Slot.default(FIRST_SLOT),
      inactiveSlot: InactiveSlot.nullable().default(null),
      // The API's own schema: what it accepts, this accepts (and the reverse).
      resourceOverrides: ResourceOverrides.prefault({}),
      /** The tenant's own PostgreSQL settings; the tier's apply beneath them. */
      postgresParameters: PostgresParameters.prefault({}),
      /** The database the application uses, and another kept beside it while a restore moves between the two. */
      databases: z.object({ serving: DatabaseSpec, alongside: DatabaseSpec.nullable() }).prefault({ serving: FIRST_DATABASE, alongside: null }),
    }),
  })
  .superRefine((input, ctx) => {
    const { baseDomain, backup } = input.platform;
    // The API checks this too; repeated here because a domain under the base domain would take
    // over another tenant's host, whoever the caller is.
    const domainProblem = input.tenant.customDomain && checkCustomDomain(input.tenant.customDomain, baseDomain);
    if (domainProblem) ctx.addIssue({ code: 'custom', path: ['tenant', 'customDomain'], message: domainProblem });
    // A restored database reads the tenant's own backups: only a tier with backups has any. A clone
    // reads its source tenant's archive, so it needs the store configured, not backups of its own.
    const { serving, alongside } = input.tenant.databases;
    const recoveries = [serving, alongside].flatMap((d) => (d?.recovery ? [d.recovery] : []));
    if (!input.tierLimits.backupEnabled && recoveries.some((r) => r.fromTenant === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['tenant', 'databases'], message: `tier ${input.tierName} has no backups to restore from` });
    }
    // Bounded by the tier's memory: a tier change can make a tenant's own setting too large. Paths are the update request's.
    for (const problem of parameterProblems(effectiveParameters(input.tierLimits, input.tenant.postgresParameters), input.tierLimits.postgres.memoryLimit)) {
      ctx.addIssue({ code: 'custom', path: ['tenant', 'postgresql', 'parameters', problem.name], message: problem.message });
    }
    if (input.tierLimits.backupEnabled || recoveries.some((r) => r.fromTenant !== undefined)) {
      if (backup.destinationPrefix === null) {
        const why = input.tierLimits.backupEnabled ? `tier ${input.tierName} has backups enabled` : 'a clone reads its source from the object store';
        ctx.addIssue({ code: 'custom', path: ['platform', 'backup', 'destinationPrefix'], message: `${why} but no backup destination is configured` });
      }
      for (const problem of backupStoreProblems(backup)) {
        ctx.addIssue({ code: 'custom', path: ['platform', 'backup', ...problem.path], message: problem.message });
      }
    }
  });
export type ChartValuesInput = z.input<typeof ChartValuesInput>;

/**
 * The backup values charts before 0.4.0 (CloudNativePG's in-tree store) do not know, present only
 * when the tier has backups, as smokeCheck is only when configured: a tenant without backups gets
 * the values it always did, which any chart version accepts. Only the provider's own section.
 */
type PluginBackupValues = {
  provider: BackupProvider;
  endpointCA: boolean;
  s3: { region: boolean };
  gcs: { gkeEnvironment: boolean };
  azure: { credentials: AzureCredentials };
  sidecarResources: ContainerResources;
};

function pluginBackupValues(backup: z.output<typeof ChartPlatformSettings>['backup']): Partial<PluginBackupValues> {
  const section =
    backup.provider === 's3'
      ? { s3: { region: backup.s3?.region ?? false } }
      : backup.provider === 'gcs'
        ? { gcs: { gkeEnvironment: backup.gcs?.gkeEnvironment ?? false } }
        : { azure: { credentials: backup.azure?.credentials ?? 'connectionString' } };
  return { provider: backup.provider, endpointCA: backup.endpointCA, ...section, sidecarResources: containerResources(backup.sidecarResources) };
}

/** The values object the chart accepts (its values.schema.json is the authority). */
export type ChartValues = {
  tenant: { id: string; companyName: string; tier: TierName; expiresAt: string | null; mechanicLimit: number | null };
  activeSlot: Slot;
  inactiveSlot: InactiveSlot | null;
  hibernated: boolean;
  /** Present only for a closed account (tenant chart 0.7.0), so values stay what older charts accept. */
  closed?: { enabled: true; page: { externalName: string; port: number } | null };
  images: { api: ImageRef; web: ImageRef; migrations: ImageRef; postgres: ImageRef };
  ingress: { className: string; host: string; customDomain: string | null; clusterIssuer: string };
  secrets: { database: string; app: string; admin: string };
  postgres: {
    instances: number;
    database: string;
    owner: string;
    storage: { size: string; storageClass: string | null };
    resources: ContainerResources;
    /** The tier's settings under the tenant's; present only when there are some, so values stay what older charts accept. */
    parameters?: Record<string, string>;
    /**
     * The Clusters to render, the one the application uses (`serving`) first; present only when that
     * is not the first database, made empty, alone (a clone's first is recovered), so values stay what older charts accept.
     */
    serving?: string;
    clusters?: DatabaseCluster[];
  };
  api: { replicas: number; resources: ContainerResources };
  web: { replicas: number; resources: ContainerResources };
  networkPolicy: {
    enabled: boolean;
    cnpgOperatorNamespace: string;
    ingressControllerNamespace: string;
    kubernetesApi: { cidrs: string[]; ports: number[] };
    objectStore: { cidrs: string[]; ports: number[] };
  };
  /** Present only when enabled, so a platform without a smoke check renders the values it always did. */
  smokeCheck?: { enabled: true };
  /** The tenant's ObjectStore (Barman Cloud plugin) and its ScheduledBackup; see the chart README. */
  backup: {
    enabled: boolean;
    destinationPath: string | null;
    /** A clone's source tenant's archive (chart 0.6.0), read once by its first Cluster; present only for clones. */
    cloneSource?: { destinationPath: string };
    endpointURL: string | null;
    /** null: the store needs no key (GKE workload identity without a private CA), or no backups. */
    credentialsSecret: string | null;
    schedule: string;
    retentionPolicy: string;
  } & Partial<PluginBackupValues>;
  quota: ChartQuota;
  limitRange: ChartLimitRange;
};

/** Builds the chart values for one tenant. Throws a ZodError (a permanent failure) on bad input. */
export function buildChartValues(rawInput: ChartValuesInput): ChartValues {
  // Parsing copies every object and array, so nothing below can alias the caller's data.
  const { platform, tierName, tierLimits: tier, tenant } = ChartValuesInput.parse(rawInput);
  const overrides = tenant.resourceOverrides;
  const instances = overrides.postgresInstances ?? tier.postgresInstances;
  const apiReplicas = overrides.apiReplicas ?? tier.apiReplicas;
  const webReplicas = overrides.webReplicas ?? tier.webReplicas;
  const storageSize = overrides.postgresStorageSize ?? tier.postgresStorageSize;
  // null is a real override (unlimited), so only undefined falls back to the tier.
  const mechanicLimit = overrides.mechanicLimit === undefined ? tier.mechanicLimit : overrides.mechanicLimit;
  const secrets = tenantSecretNames(tenant.tenantId);
  const parameters = effectiveParameters(tier, tenant.postgresParameters);
  const { serving, alongside } = tenant.databases;
  const clusters = [serving, ...(alongside ? [alongside] : [])].map((d) => databaseCluster(tenant.tenantId, d));
  const backup = platform.backup;
  // With backups the Barman Cloud plugin adds its sidecar to every instance pod (and CloudNativePG's
  // job pod is counted like one): the quota must admit it, and the LimitRange must not refuse it.
  // A clone's recovery job runs the sidecar too, reading its source's archive.
  const cloneSource = [serving, alongside].find((d) => d?.recovery?.fromTenant)?.recovery?.fromTenant;
  const usesStore = tier.backupEnabled || cloneSource !== undefined;
  const sidecar = usesStore ? [platform.backup.sidecarResources] : [];
  const prefixOf = (tenantId: string) => `${(backup.destinationPrefix ?? '').replace(/\/+$/, '')}/${tenantId}`;
  const workloads: Workload[] = [
    ...clusters.map(() => ({ count: instances, containers: [tier.postgres, ...sidecar] })),
    { count: apiReplicas, containers: [tier.api] },
    { count: webReplicas, containers: [tier.web] },
    // A switch window runs both slots: the quota must admit the inactive one's pods too.
    ...(tenant.inactiveSlot
      ? [
          { count: tenant.inactiveSlot.replicas.api, containers: [tier.api] },
          { count: tenant.inactiveSlot.replicas.web, containers: [tier.web] },
        ]
      : []),
  ];

  return {
    tenant: {
      id: tenant.tenantId,
      companyName: tenant.companyName,
      tier: tierName,
      expiresAt: tenant.expiresAt,
      mechanicLimit,
    },
    activeSlot: tenant.activeSlot,
    inactiveSlot: tenant.inactiveSlot,
    hibernated: tenant.hibernated,
    ...(tenant.closed ? { closed: { enabled: true as const, page: platform.closedPage ? { ...platform.closedPage } : null } } : {}),
    images: {
      api: { ...(tenant.images ?? platform.images).api },
      web: { ...(tenant.images ?? platform.images).web },
      migrations: { ...(tenant.images ?? platform.images).migrations },
      postgres: { ...platform.images.postgres },
    },
    ingress: {
      className: platform.ingressClassName,
      host: `${tenant.tenantId}.${platform.baseDomain}`,
      customDomain: tenant.customDomain,
      clusterIssuer: platform.clusterIssuer,
    },
    secrets: { database: secrets.database, app: secrets.app, admin: secrets.admin },
    postgres: {
      instances,
      database: platform.database.name,
      owner: platform.database.owner,
      storage: { size: storageSize, storageClass: overrides.storageClass ?? platform.storageClass },
      resources: containerResources(tier.postgres),
      ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
      ...(clusters.length > 1 || serving.generation !== 1 || serving.recovery ? { serving: clusters[0]!.name, clusters } : {}),
    },
    api: { replicas: apiReplicas, resources: containerResources(tier.api) },
    web: { replicas: webReplicas, resources: containerResources(tier.web) },
    networkPolicy: {
      enabled: platform.networkPolicy.enabled,
      cnpgOperatorNamespace: platform.networkPolicy.cnpgOperatorNamespace,
      ingressControllerNamespace: platform.networkPolicy.ingressControllerNamespace,
      kubernetesApi: { cidrs: [...platform.networkPolicy.kubernetesApiCidrs], ports: [...platform.networkPolicy.kubernetesApiPorts] },
      objectStore: { cidrs: [...platform.networkPolicy.objectStoreCidrs], ports: [...platform.networkPolicy.objectStorePorts] },
    },
    ...(platform.smokeCheck ? { smokeCheck: { enabled: true as const } } : {}),
    backup: {
      enabled: tier.backupEnabled,
      // Each tenant its own prefix: one tenant's retention or restore never touches another's files.
      destinationPath: tier.backupEnabled && backup.destinationPrefix !== null ? prefixOf(tenant.tenantId) : null,
      ...(cloneSource ? { cloneSource: { destinationPath: prefixOf(cloneSource) } } : {}),
      endpointURL: usesStore ? backup.endpointUrl : null,
      credentialsSecret: usesStore && requiredCredentialKeys(backup).length > 0 ? secrets.backupCredentials : null,
      schedule: backup.schedule,
      retentionPolicy: tier.backupRetention ?? backup.retentionPolicy,
      ...(usesStore ? pluginBackupValues(backup) : {}),
    },
    quota: deriveQuota(workloads, instances * clusters.length, storageSize),
    limitRange: deriveLimitRange([tier.postgres, tier.api, tier.web], sidecar, storageSize),
  };
}

/**
 * YAML for `helm upgrade -f`. YAML 1.1 mode quotes every string Helm's YAML 1.1 parser would
 * otherwise read as something else: a company called "Yes" stays a string, "0755" stays text.
 */
export function serializeChartValues(values: ChartValues): string {
  return stringify(values, { version: '1.1' });
}

/** The settings a tenant's database runs with: its tier's, then its own over them, in name order. */
export function effectiveParameters(tier: Pick<TierLimits, 'postgresql'>, own: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const merged = { ...tier.postgresql?.parameters, ...own };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * One Cluster as the chart renders it: its name, and where a restored one recovers from (a clone:
 * its source tenant's Cluster, through the read-only ObjectStore the chart renders for it).
 */
export type DatabaseCluster = { name: string; recovery?: { sourceName: string; objectStore?: string; backupId?: string; targetTime?: string } };

/** The ObjectStore through which a clone reads its source's archive (the chart's mbt.cloneSourceStoreName). */
export const cloneSourceStoreName = (tenantId: string) => `${tenantId}-clone-source`;

function databaseCluster(tenantId: string, database: DatabaseSpec): DatabaseCluster {
  const name = databaseName(tenantId, database.generation);
  const recovery = database.recovery;
  if (!recovery) return { name };
  const source = recovery.fromTenant ?? tenantId;
  const objectStore = recovery.fromTenant ? { objectStore: cloneSourceStoreName(tenantId) } : {};
  return { name, recovery: { sourceName: databaseName(source, recovery.fromGeneration), ...objectStore, ...recovery.target } };
}
