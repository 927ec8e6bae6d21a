import { PatchStrategy } from '@kubernetes/client-node';
import type { Kubernetes } from './kube-client.ts';
import { beforeWrite, callOptions, contentType } from './kube-call.ts';
import { isNotFound } from './kube-errors.ts';
import { CNPG_HIBERNATION, type CnpgCluster } from './readiness.ts';

const CNPG = { group: 'postgresql.cnpg.io', version: 'v1', plural: 'clusters' } as const;

/**
 * Removes a `cnpg.io/hibernation` annotation the release does not own. Helm applies server-side and
 * removes only fields it applied itself, so an annotation someone set by hand survives every
 * upgrade and would keep a tenant that should run asleep. Returns true when one was removed.
 */
export async function removeStrayHibernation(kube: Pick<Kubernetes, 'custom'>, namespace: string, name: string, signal?: AbortSignal): Promise<boolean> {
  let cluster: CnpgCluster;
  try {
    cluster = (await kube.custom.getNamespacedCustomObject({ ...CNPG, namespace, name }, callOptions(signal))) as CnpgCluster;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  if (cluster.metadata?.annotations?.[CNPG_HIBERNATION] === undefined) return false;
  beforeWrite(signal);
  await kube.custom.patchNamespacedCustomObject(
    { ...CNPG, namespace, name, body: { metadata: { annotations: { [CNPG_HIBERNATION]: null } } } },
    callOptions(signal, [contentType(PatchStrategy.MergePatch)]),
  );
  return true;
}
