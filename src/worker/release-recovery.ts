import type { HelmClient } from '../helm/helm-client.ts';

/**
 * Classifies the release before acting, so a release a dead worker left mid-operation is
 * recovered instead of failing every retry with "another operation is in progress".
 * Returns what was done, for the job log.
 */
export async function recoverRelease(helm: HelmClient, release: string, namespace: string, signal?: AbortSignal): Promise<string | undefined> {
  const current = await helm.status(release, namespace, signal);
  if (!current) return undefined;
  const history = await helm.history(release, namespace, signal);
  const lastDeployed = history.filter((h) => h.status === 'deployed' || h.status === 'superseded').at(-1);
  switch (current.status) {
    case 'pending-install':
    case 'uninstalling':
      await helm.uninstall(release, namespace, signal);
      return `release ${release} was left ${current.status} at revision ${current.revision}; uninstalled to install again`;
    case 'pending-upgrade':
    case 'pending-rollback':
      if (!lastDeployed) {
        await helm.uninstall(release, namespace, signal);
        return `release ${release} was left ${current.status} with no deployed revision; uninstalled`;
      }
      await helm.rollback(release, namespace, lastDeployed.revision, signal);
      return `release ${release} was left ${current.status}; rolled back to revision ${lastDeployed.revision}`;
    case 'failed':
      if (!lastDeployed) {
        await helm.uninstall(release, namespace, signal);
        return `release ${release} never deployed (revision ${current.revision} failed); uninstalled to install cleanly`;
      }
      return undefined;
    default:
      return undefined;
  }
}
