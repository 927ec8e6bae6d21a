import type { Config } from '../../config/config.schema.ts';
import { namespaceFor } from '../../domain/tenant-id.ts';
import type { TenantRecord } from '../../domain/tenant-record.ts';

/**
 * Sweeps act only on tenants in this installation's namespaces. The registry lists every namespace
 * labelled as managed by the provisioner, and two installations (or two test runs) may share a
 * cluster with different prefixes: repairing or expiring the other's tenants would be a disaster.
 */
export function ownTenant(config: Pick<Config, 'platform'>, tenant: Pick<TenantRecord, 'tenantId' | 'namespace'>): boolean {
  try {
    return namespaceFor(config.platform.namespacePrefix, tenant.tenantId) === tenant.namespace;
  } catch {
    return false;
  }
}
