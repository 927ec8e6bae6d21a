import type { Config } from '../config/config.schema.ts';
import { namespaceFor, releaseFor } from '../domain/tenant-id.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';

/** Where a tenant lives: always derived from its id and the configuration, never taken from a caller. */
export type TenantRef = { tenantId: string; namespace: string; release: string };

export function tenantRef(config: Pick<Config, 'platform'>, tenantId: string): TenantRef {
  return {
    tenantId,
    namespace: namespaceFor(config.platform.namespacePrefix, tenantId),
    release: releaseFor(config.platform.releasePrefix, tenantId),
  };
}

/**
 * Why a job's payload may not be run: its namespace or release is not the one its tenant id
 * derives. Those strings reach `helm uninstall` and namespace deletion, so a job that names
 * anything else (a forged or corrupted payload) is refused before it takes the lease.
 */
export function payloadRefMismatch(config: Pick<Config, 'platform'>, payload: { tenantId: string; namespace: string; release: string }): string | undefined {
  let ref: TenantRef;
  try {
    ref = tenantRef(config, payload.tenantId);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (payload.namespace !== ref.namespace) return `namespace ${payload.namespace} is not tenant ${payload.tenantId}'s (${ref.namespace})`;
  if (payload.release !== ref.release) return `release ${payload.release} is not tenant ${payload.tenantId}'s (${ref.release})`;
  return undefined;
}

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
