import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createKubernetes } from '../../../src/kubernetes/kube-client.ts';
import { watchWorkloads } from '../../../src/kubernetes/workload-cache.ts';
import { eventually, uniqueName } from '../../support/kube.ts';

// The reconcile sweep's workload cache against the sandbox's real API server: a real list and watch.
const kubeconfig = inject('kubeconfig');
const kube = createKubernetes({ source: 'kubeconfig', kubeconfig });
const namespace = uniqueName('wc');
const labels = { 'tenant-provisioner.io/tenant-id': namespace };
const clusters = { group: 'postgresql.cnpg.io', version: 'v1', namespace, plural: 'clusters' };
const cache = watchWorkloads(kube, { logger: pino({ level: 'silent' }), restartMs: 200 });

afterAll(async () => {
  await cache.stop();
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await kube.close();
});

const deployment = (name: string, replicas: number): V1Deployment => ({
  metadata: { name, labels, annotations: { 'meta.helm.sh/release-name': namespace } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: 'registry.local/app:v1', env: [{ name: 'A', value: 'x' }] }] },
    },
  },
});

describe('the workload cache keeps what the reconcile sweep compares, not whole objects', () => {
  it('listed and then watched: replicas, instances and the hibernation annotation, nothing else, kept current', async () => {
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    await kube.apps.createNamespacedDeployment({ namespace, body: deployment('listed', 2) });
    await kube.custom.createNamespacedCustomObject({
      ...clusters,
      body: { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db', labels }, spec: { instances: 1, storage: { size: '1Gi' } } },
    });
    await eventually('the cache to follow and hold the listed objects', async () =>
      cache.following() && cache.deployment(namespace, 'listed') && cache.database(namespace, 'db') ? true : undefined,
    );
    const listed = cache.deployment(namespace, 'listed')!;
    expect(listed).toEqual({ metadata: { name: 'listed', namespace, resourceVersion: expect.any(String) }, spec: { replicas: 2 } });
    expect(cache.database(namespace, 'db')).toEqual({ metadata: { name: 'db', namespace, resourceVersion: expect.any(String) }, spec: { instances: 1 } });

    // Through the watch: a new Deployment, a scale, a hibernation, a removal.
    await kube.apps.createNamespacedDeployment({ namespace, body: deployment('watched', 1) });
    await kube.apps.patchNamespacedDeployment(
      { namespace, name: 'listed', body: { spec: { replicas: 0 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await kube.custom.patchNamespacedCustomObject(
      { ...clusters, name: 'db', body: { metadata: { annotations: { 'cnpg.io/hibernation': 'on', 'other.io/note': 'x' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('the watch to bring every change', async () =>
      cache.deployment(namespace, 'watched') &&
      cache.deployment(namespace, 'listed')?.spec?.replicas === 0 &&
      cache.database(namespace, 'db')?.metadata?.annotations
        ? true
        : undefined,
    );
    expect(cache.deployment(namespace, 'watched')).toEqual({
      metadata: { name: 'watched', namespace, resourceVersion: expect.any(String) },
      spec: { replicas: 1 },
    });
    expect(cache.deployment(namespace, 'listed')).toEqual({
      metadata: { name: 'listed', namespace, resourceVersion: expect.any(String) },
      spec: { replicas: 0 },
    });
    expect(cache.database(namespace, 'db')).toEqual({
      metadata: { name: 'db', namespace, resourceVersion: expect.any(String), annotations: { 'cnpg.io/hibernation': 'on' } },
      spec: { instances: 1 },
    });
    await kube.apps.deleteNamespacedDeployment({ namespace, name: 'watched' });
    await eventually('the deletion to be heard', async () => (cache.deployment(namespace, 'watched') === undefined ? true : undefined));
    expect(cache.following()).toBe(true);
  });
});
