import { requiredCredentialKeys } from '../../domain/backup-store.ts';
import type { ChartValues } from '../../domain/chart-values.ts';
import { tenantSecretNames } from '../../domain/tenant-secrets.ts';
import { ensureBackupCredentials, ensureTenantSecrets } from '../../kubernetes/tenant-secrets.ts';
import type { OperationDeps } from './plan-deps.ts';

/**
 * The Secrets the chart references by name, created once and never changed: a retried step, an
 * update or a resume leaves every existing Secret exactly as it is. Returns the names created now.
 */
export async function ensureTenantInputs(
  deps: Pick<OperationDeps, 'kube' | 'config'>,
  tenantId: string,
  namespace: string,
  values: ChartValues,
  signal?: AbortSignal,
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
  if (values.backup.credentialsSecret !== null && backup.credentialsSecret) {
    const input = { source: backup.credentialsSecret, requiredKeys: requiredCredentialKeys(backup), namespace, tenantId };
    if (await ensureBackupCredentials(kube.core, input, signal)) {
      created.push(tenantSecretNames(tenantId).backupCredentials);
    }
  }
  return created;
}
