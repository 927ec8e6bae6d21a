import type { CoreV1Api } from '@kubernetes/client-node';
import type { PlatformConfig } from '../config/platform-config.schema.ts';
import { fingerprintOf } from '../domain/fingerprint.ts';
import { checkTenantBackupStore, type StoreCheck } from './tenant-store-check.ts';

type TenantPlace = { tenantId: string; namespace: string };

/** How many tenants' passed checks a process remembers; past it the oldest are probed again. */
export const REMEMBERED_CHECKS = 10_000;

/**
 * The backup store preflight as the plans use it. `check` probes the tenant's store with its own
 * credentials unless this process already saw it pass under the same store configuration, or
 * `always` asks for a probe anyway (a provision). A configuration change reaches the worker as a
 * restart, so each process probes every backup tenant once more: "at provision and on
 * configuration change", without a write to the tenant.
 */
export type BackupPreflight = {
  check(tenant: TenantPlace, options: { always: boolean }, signal?: AbortSignal): Promise<StoreCheck | { ok: 'remembered' }>;
};

export type StoreChecker = (tenant: TenantPlace, signal?: AbortSignal) => Promise<StoreCheck>;

export function createBackupPreflight(core: CoreV1Api, backup: PlatformConfig['backup'], checkStore?: StoreChecker): BackupPreflight {
  const probe: StoreChecker = checkStore ?? ((tenant, signal) => checkTenantBackupStore(core, backup, tenant, signal));
  // Everything that changes where or how a tenant's backups are written; not schedule or retention.
  const { provider, destinationPrefix, endpointUrl, endpointCA, credentialsSecret, s3, gcs, azure } = backup;
  const configuration = fingerprintOf({ provider, destinationPrefix, endpointUrl, endpointCA, credentialsSecret, s3, gcs, azure });
  const passed = new Map<string, string>();
  return {
    async check(tenant, { always }, signal) {
      if (!always && passed.get(tenant.tenantId) === configuration) return { ok: 'remembered' };
      const outcome = await probe(tenant, signal);
      passed.delete(tenant.tenantId);
      if (outcome.ok === true) {
        passed.set(tenant.tenantId, configuration);
        if (passed.size > REMEMBERED_CHECKS) passed.delete(passed.keys().next().value!);
      }
      return outcome;
    },
  };
}
