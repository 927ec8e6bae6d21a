import type { CoreV1Api } from '@kubernetes/client-node';
import { callOptions } from './kube-call.ts';

export type ReleaseRecord = { revision: number; status: string; modifiedAt: Date | undefined };

/**
 * The newest revision of a Helm release as its storage Secret's labels describe it (Helm 4 keeps
 * `status`, `version` and `modifiedAt` there), without spawning Helm. Superseded revisions are
 * excluded by the selector, so this reads one or two Secrets rather than the whole history; the
 * reconciler calls it for every tenant. Undefined: no release.
 */
export async function latestReleaseRecord(core: CoreV1Api, namespace: string, release: string, signal?: AbortSignal): Promise<ReleaseRecord | undefined> {
  const list = await core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release},status!=superseded` }, callOptions(signal));
  const records = list.items.map((secret): ReleaseRecord => {
    const labels = secret.metadata?.labels ?? {};
    // A record still pending was never modified: Helm stamps only createdAt on it.
    const modified = Number(labels['modifiedAt'] ?? labels['createdAt']);
    return {
      revision: Number(labels['version'] ?? 0),
      status: labels['status'] ?? 'unknown',
      modifiedAt: Number.isFinite(modified) && modified > 0 ? new Date(modified * 1000) : secret.metadata?.creationTimestamp,
    };
  });
  return records.sort((a, b) => b.revision - a.revision)[0];
}
