import type { Logger } from 'pino';
import type { BackupPreflight } from '../../backup/backup-preflight.ts';
import type { StoreAccounts } from '../../backup/store-accounts.ts';
import { databaseName } from '../../domain/database-generation.ts';
import type { Slot } from '../../domain/slots.ts';
import type { Config } from '../../config/config.schema.ts';
import type { HelmClient } from '../../helm/helm-client.ts';
import type { DomainClaims } from '../../kubernetes/domain-claims.ts';
import type { Kubernetes } from '../../kubernetes/kube-client.ts';
import type { TenantStore } from '../../kubernetes/tenant-store.ts';
import type { TenantWorkloads } from '../../kubernetes/tenant-workloads.ts';

/** What every operation is built from; assembled once by the composition root. */
export type OperationDeps = {
  config: Config;
  logger: Logger;
  kube: Kubernetes;
  tenants: TenantStore;
  workloads: TenantWorkloads;
  helm: HelmClient;
  /** Custom-domain ownership: a removed tenant's hosts are released. */
  claims?: Pick<DomainClaims, 'release'> | undefined;
  /** The backup store preflight (platform.backup.preflight); absent, plans have no such step. */
  backupPreflight?: BackupPreflight | undefined;
  /** Per-tenant store accounts (platform.backup.tenantAccounts: versitygw); absent, the platform's keys are copied. */
  storeAccounts?: StoreAccounts | undefined;
  now?: () => Date;
};

/**
 * Kubernetes object names the tenant chart renders (charts/mechanicbuddy-tenant/templates): the
 * database, and the API and Web Deployments of one blue-green slot; the Services the Ingress routes
 * to (slotServiceNames) select one slot.
 */
export const slotServiceNames = (tenantId: string) => [`${tenantId}-api`, `${tenantId}-web`];

/**
 * The objects a tenant's health is read from; `certificate` is the tenant host's (not the custom
 * domain's), slot-independent; `database` the Cluster of the given generation (a restore makes the next).
 */
export function tenantObjectNames(tenantId: string, slot: Slot, databaseGeneration = 1) {
  return {
    database: databaseName(tenantId, databaseGeneration),
    api: `${tenantId}-api-${slot}`,
    web: `${tenantId}-web-${slot}`,
    certificate: `${tenantId}-tls`,
  };
}
