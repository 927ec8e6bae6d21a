import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { ObservedWatch, observedApiClient } from '../../../src/observability/kube-instrumentation.ts';
import type { KubeRequestObservation } from '../../../src/observability/kube-request.ts';
import { statusOf } from '../../support/kube.ts';

// The instrumentation against a real API server: every request the API clients and watches send
// is observed once, with the verb and resource RBAC would name and the real status.
const kubeconfig = inject('kubeconfig');

function recorder() {
  const seen: KubeRequestObservation[] = [];
  return { seen, observe: (o: KubeRequestObservation) => void seen.push(o) };
}

function loadKubeConfig() {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

describe('observedApiClient', () => {
  it('observes successes, API errors and the non-resource /version', async () => {
    const kc = loadKubeConfig();
    const { seen, observe } = recorder();
    const core = observedApiClient(kc, CoreV1Api, observe);
    await core.readNamespace({ name: 'kube-system' });
    const missing = await core.readNamespace({ name: 'no-such-namespace-x1' }).catch((error: unknown) => error);
    expect(statusOf(missing)).toBe(404);
    await core.listNamespacedConfigMap({ namespace: 'kube-system', limit: 1 });
    await observedApiClient(kc, VersionApi, observe).getCode();
    expect(seen).toEqual([
      { verb: 'get', group: '', resource: 'namespaces', code: '200' },
      { verb: 'get', group: '', resource: 'namespaces', code: '404' },
      { verb: 'list', group: '', resource: 'configmaps', code: '200' },
      { verb: 'get', group: '', resource: '/version', code: '200' },
    ]);
  });

  it('observes a request that got no answer as code "error"', async () => {
    const kc = loadKubeConfig();
    const cluster = kc.getCurrentCluster()!;
    // Port 1 on loopback refuses connections.
    kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: 'https://127.0.0.1:1' } : c));
    const { seen, observe } = recorder();
    await expect(observedApiClient(kc, CoreV1Api, observe).readNamespace({ name: 'default' })).rejects.toThrow();
    expect(seen).toEqual([{ verb: 'get', group: '', resource: 'namespaces', code: 'error' }]);
  });
});

describe('ObservedWatch', () => {
  it('observes a started watch as 200 and a refused one with its status', async () => {
    const { seen, observe } = recorder();
    const watch = new ObservedWatch(loadKubeConfig(), observe);
    const controller = await watch.watch(
      '/api/v1/namespaces',
      { fieldSelector: 'metadata.name=kube-system' },
      () => undefined,
      () => undefined,
    );
    controller.abort();
    let refused: unknown;
    await watch.watch(
      '/apis/nothing.example.com/v1/things',
      {},
      () => undefined,
      (error: unknown) => {
        refused = error;
      },
    );
    expect((refused as { statusCode?: number }).statusCode).toBe(404);
    expect(seen).toEqual([
      { verb: 'watch', group: '', resource: 'namespaces', code: '200' },
      { verb: 'watch', group: 'nothing.example.com', resource: 'things', code: '404' },
    ]);
  });
});
