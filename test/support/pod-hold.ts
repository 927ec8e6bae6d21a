import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeClients } from './kube.ts';

type Clients = Pick<KubeClients, 'core' | 'apps'>;
const HOLD = 'hold-pods';

/**
 * Holds a namespace's rollouts: a ResourceQuota of zero pods lets its Deployments and ReplicaSets
 * exist while no pod can, so a job sits in its readiness wait for as long as a test needs.
 */
export async function holdPods(kube: Pick<Clients, 'core'>, namespace: string): Promise<void> {
  await kube.core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: HOLD }, spec: { hard: { pods: '0' } } } });
}

/**
 * Lets the pods come. Deleting the quota is not enough on its own: each refused pod create made the
 * ReplicaSet controller retry that ReplicaSet later (an exponential backoff, 5 ms doubling up to
 * 1000 s), and nothing about a quota's removal wakes it, so after a minute of refusals the pods came
 * a minute or more later (a test then waited out its deadline). Touching each ReplicaSet is an
 * update event, which the controller handles at once.
 */
export async function releasePods(kube: Clients, namespace: string): Promise<void> {
  await kube.core.deleteNamespacedResourceQuota({ namespace, name: HOLD });
  const sets = await kube.apps.listNamespacedReplicaSet({ namespace });
  const body = { metadata: { annotations: { 'test.tenant-provisioner.io/pods-released': new Date().toISOString() } } };
  for (const rs of sets.items) {
    await kube.apps.patchNamespacedReplicaSet({ namespace, name: rs.metadata!.name!, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }
}
