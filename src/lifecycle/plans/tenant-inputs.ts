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
  if (values.backup.enabled && config.platform.backup.credentialsSecret) {
    if (await ensureBackupCredentials(kube.core, { source: config.platform.backup.credentialsSecret, namespace, tenantId }, signal)) {
      created.push(tenantSecretNames(tenantId).backupCredentials);
    }
  }
  return created;
}
