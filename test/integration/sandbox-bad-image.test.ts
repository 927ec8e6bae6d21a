import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { eventually, kubeClients, statusOf, uniqueName } from '../support/kube.ts';

// The sandbox's KWOK never makes a pod ready when any of its images (init containers included) is
// tagged `bad` (NO_BAD_IMAGE in test/sandbox/stages.ts): blue-green upgrade tests deploy such a slot
// to stand for a broken release or a failing migration. Both ready stages are covered: plain pods
// and API pods (app.kubernetes.io/component=api), which KWOK readies in a stage of their own.
const kube = kubeClients(inject('kubeconfig'));
const namespace = uniqueName('sbx-bad-image');

/** How long a bad pod must stay unready after the good ones are: the fast profile readies pods at once. */
const OBSERVE_MS = 3_000;

function deployment(name: string, containers: { image: string; init?: string; api?: boolean }): V1Deployment {
  const labels = { app: name, ...(containers.api ? { 'app.kubernetes.io/component': 'api' } : {}) };
  const initContainers: V1Container[] = containers.init ? [{ name: 'migrate', image: containers.init }] : [];
  return {
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels }, spec: { initContainers, containers: [{ name: 'app', image: containers.image }] } },
    },
  };
}

const good = ['good', 'good-api'];
const bad = ['bad-image', 'bad-api-image', 'bad-migrate'];
const workloads: V1Deployment[] = [
  deployment('good', { image: 'registry.example/app:1.0' }),
  deployment('good-api', { image: 'registry.example/app:1.0', init: 'registry.example/migrate:1.0', api: true }),
  deployment('bad-image', { image: 'registry.example/app:bad' }),
  deployment('bad-api-image', { image: 'registry.example/app:bad', api: true }),
  deployment('bad-migrate', { image: 'registry.example/app:1.0', init: 'registry.example/migrate:bad', api: true }),
];

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function podsByApp(): Promise<Map<string, V1Pod>> {
  const pods = await kube.core.listNamespacedPod({ namespace });
  return new Map(pods.items.map((p) => [p.metadata?.labels?.app ?? '', p]));
}

afterAll(async () => {
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('sandbox KWOK stages: images tagged bad', () => {
  it('makes good pods Ready and leaves pods with a bad image or init container unready, and deletes them all with the namespace', async () => {
    await kube.core.createNamespace({ body: { metadata: { name: namespace, labels: { 'tenant-provisioner.io/test': 'sandbox' } } } });
    await eventually('default ServiceAccount', async () => (await kube.core.readNamespacedServiceAccount({ name: 'default', namespace })) ?? undefined);
    for (const body of workloads) await kube.apps.createNamespacedDeployment({ namespace, body });

    const scheduled = await eventually('every pod scheduled and the good ones Ready', async () => {
      const pods = await podsByApp();
      const all = [...good, ...bad].every((app) => pods.get(app)?.spec?.nodeName);
      return all && good.every((app) => isReady(pods.get(app)!)) ? pods : undefined;
    });
    for (const app of [...good, ...bad]) expect(scheduled.get(app)?.spec?.nodeName, app).toMatch(/^kwok-node-/);

    // KWOK would ready a matching pod within moments; watch the bad ones for a while after the good ones are.
    const deadline = Date.now() + OBSERVE_MS;
    let checks = 0;
    while (Date.now() < deadline) {
      const pods = await podsByApp();
      for (const app of bad) expect(isReady(pods.get(app)!), `${app} became Ready`).toBe(false);
      checks += 1;
      await sleep(200);
    }
    expect(checks).toBeGreaterThan(5);
    for (const name of bad) {
      const d = await kube.apps.readNamespacedDeployment({ name, namespace });
      expect(d.status?.readyReplicas ?? 0, name).toBe(0);
    }
    for (const name of good) {
      const d = await eventually(`${name} Available`, async () => {
        const read = await kube.apps.readNamespacedDeployment({ name, namespace });
        return read.status?.readyReplicas === 1 ? read : undefined;
      });
      expect(d.status?.availableReplicas, name).toBe(1);
    }

    // pod-delete carries no image condition: the never-ready pods go with their namespace.
    await kube.core.deleteNamespace({ name: namespace });
    await eventually(
      'namespace gone',
      async () =>
        await kube.core.readNamespace({ name: namespace }).then(
          () => undefined,
          (e: unknown) => (statusOf(e) === 404 ? true : undefined),
        ),
      30_000,
    );
  });
});
