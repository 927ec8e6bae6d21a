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
  options: {
    /** Given, a store that does not answer is reported here instead of failing the step (a resume must not wait for it). */
    storeOutage?: ((message: string) => Promise<void>) | undefined;
    /**
     * A clone's provision: its store account may read the source's backups until its database is
     * made from them (revokeCloneSource); every other operation takes that right away again.
     */
    readCloneSource?: boolean;
  } = {},
): Promise<string[]> {
  const { storeOutage } = options;
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
    const readFrom = options.readCloneSource && values.backup.cloneSource ? [values.backup.cloneSource.destinationPath] : [];
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

/**
 * Once a clone's database was made from its source's backups, its store account may no longer read
 * them: the source lives on, and its later backups are not the clone's. Says what was done.
 */
export async function revokeCloneSource(
  deps: Pick<OperationDeps, 'storeAccounts'>,
  tenantId: string,
  namespace: string,
  values: ChartValues,
  signal?: AbortSignal,
) {
  if (!deps.storeAccounts || !values.backup.cloneSource || values.backup.credentialsSecret === null) return undefined;
  await deps.storeAccounts.ensure({ tenantId, namespace }, signal);
  return "the source's backups are no longer readable with the clone's keys";
}
