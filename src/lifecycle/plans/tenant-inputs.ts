import { requiredCredentialKeys } from '../../domain/backup-store.ts';
import { DependencyUnavailableError } from '../../domain/errors.ts';
import type { ChartValues } from '../../domain/chart-values.ts';
import { tenantSecretNames } from '../../domain/tenant-secrets.ts';
import { ensureBackupCredentials, ensureTenantSecrets } from '../../kubernetes/tenant-secrets.ts';
import type { OperationDeps } from './plan-deps.ts';

/**
 * The Secrets the chart references by name, created once and never changed: a retried step, an
 * update or a resume leaves every existing Secret exactly as it is. Returns the names created now.
 */
export async function ensureTenantInputs(
  deps: Pick<OperationDeps, 'kube' | 'config' | 'storeAccounts'>,
  tenantId: string,
  namespace: string,
  values: ChartValues,
  signal?: AbortSignal,
  /** Given, a store that does not answer is reported here instead of failing the step (a resume must not wait for it). */
  storeOutage?: (message: string) => Promise<void>,
): Promise<string[]> {
  const { kube, config } = deps;
  const created = await ensureTenantSecrets(
    kube.core,
    {
      namespace,
      tenantId,
      databaseOwner: values.postgres.owner,
      adminUsername: config.provisioning.adminUsername,
    },
    signal,
  );
  // The chart names the Secret only when an ObjectStore (its own, or a clone's source) reads keys from it (GKE workload identity reads none).
  const backup = config.platform.backup;
  if (values.backup.credentialsSecret !== null && deps.storeAccounts) {
    const readFrom = values.backup.cloneSource ? [values.backup.cloneSource.destinationPath] : [];
    try {
      if (await deps.storeAccounts.ensure({ tenantId, namespace, readFrom }, signal)) created.push(tenantSecretNames(tenantId).backupCredentials);
    } catch (error) {
      if (!storeOutage || !(error instanceof DependencyUnavailableError)) throw error;
      await storeOutage(`store account of ${tenantId} not checked: ${error.message}; the next update makes sure of it`);
    }
  } else if (values.backup.credentialsSecret !== null && backup.credentialsSecret) {
    const input = { source: backup.credentialsSecret, requiredKeys: requiredCredentialKeys(backup), namespace, tenantId };
    if (await ensureBackupCredentials(kube.core, input, signal)) {
      created.push(tenantSecretNames(tenantId).backupCredentials);
    }
  }
  return created;
}
