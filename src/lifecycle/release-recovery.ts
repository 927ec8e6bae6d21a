import type { HelmClient, HelmRelease } from '../helm/helm-client.ts';
import type { ReleaseRecord } from '../kubernetes/release-records.ts';

/** What to do with a release before acting on it. */
export type ReleaseAction = { kind: 'none' } | { kind: 'uninstall'; reason: string } | { kind: 'rollback'; revision: number; reason: string };

/** The newest revision that was ever live: the one a failed or interrupted change goes back to. */
export function lastDeployedRevision(history: readonly HelmRelease[]): number | undefined {
  return history.filter((h) => h.status === 'deployed' || h.status === 'superseded').at(-1)?.revision;
}

/**
 * Pure classification of a release's state (Flux and the operators in research/reliability.md do
 * the same): a release that never went live is uninstalled so the install starts clean (nothing
 * of a customer's is in it yet); a pending upgrade or rollback left by a dead worker goes back to
 * the last deployed revision. A failed upgrade of a live release is left for the next upgrade,
 * which Helm allows over `failed`. Helm itself never clears pending-*.
 */
export function classifyRelease(current: HelmRelease | undefined, history: readonly HelmRelease[]): ReleaseAction {
  if (!current) return { kind: 'none' };
  const live = lastDeployedRevision(history);
  const left = `release ${current.name} was left ${current.status} at revision ${current.revision}`;
  switch (current.status) {
    case 'pending-install':
    case 'uninstalling':
      return { kind: 'uninstall', reason: `${left}; uninstalled to install again` };
    case 'pending-upgrade':
    case 'pending-rollback':
      return live === undefined
        ? { kind: 'uninstall', reason: `${left} and never deployed; uninstalled to install again` }
        : { kind: 'rollback', revision: live, reason: `${left}; rolled back to revision ${live}` };
    case 'failed':
      return live === undefined
        ? { kind: 'uninstall', reason: `release ${current.name} never deployed (revision ${current.revision} failed); uninstalled to install cleanly` }
        : { kind: 'none' };
    default:
      return { kind: 'none' };
  }
}

/**
 * Classifies the release and acts, so a release a dead worker left mid-operation is recovered
 * instead of failing every retry with "another operation is in progress". Callers hold the
 * tenant's lease, so no live job of ours is running Helm on it. Returns what was done, for the log.
 * `signal` (the step's) bounds every Helm call.
 *
 * `latest`, when given, reads the newest revision's status from Helm's storage labels (one list of
 * Secrets): a release whose newest revision is deployed, by far the usual case, needs nothing and
 * no Helm child is spawned for it (0.9 s per update on the sandbox). Anything else, or no record
 * there (no release yet, or a storage driver other than Secrets), reads the history with Helm.
 */
export async function recoverRelease(
  helm: HelmClient,
  release: string,
  namespace: string,
  signal: AbortSignal,
  latest?: () => Promise<Pick<ReleaseRecord, 'status'> | undefined>,
): Promise<string | undefined> {
  if ((await latest?.())?.status === 'deployed') return undefined;
  // One Helm child, not two: the history's last entry is the release `helm status` would show.
  const history = await helm.history(release, namespace, signal);
  const action = classifyRelease(history.at(-1), history);
  if (action.kind === 'uninstall') await helm.uninstall(release, namespace, signal);
  if (action.kind === 'rollback') await helm.rollback(release, namespace, action.revision, signal);
  return action.kind === 'none' ? undefined : action.reason;
}

/**
 * After a failed upgrade: back to the last deployed revision, never an uninstall (that would delete
 * the database and its volumes). Does nothing when the release is live or never was. `signal` is
 * required: a rollback runs after a failure, often once the job's own signal has aborted, and a
 * Helm call without a deadline could hold the tenant's lease for ever.
 */
export async function rollBackToLastDeployed(helm: HelmClient, release: string, namespace: string, signal: AbortSignal): Promise<string | undefined> {
  const history = await helm.history(release, namespace, signal);
  const current = history.at(-1);
  if (!current || current.status === 'deployed') return undefined;
  const live = lastDeployedRevision(history);
  if (live === undefined) return undefined;
  await helm.rollback(release, namespace, live, signal);
  return `release ${release} was ${current.status} at revision ${current.revision}; rolled back to revision ${live}`;
}
