import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { sandboxBinaries } from '../sandbox/versions.ts';
import { eventually, kubeClients, statusOf, uniqueName } from '../support/kube.ts';

const kubeconfig = inject('kubeconfig');
const kube = kubeClients(kubeconfig);
const namespaces: string[] = [];

async function createNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await kube.core.createNamespace({ body: { metadata: { name, labels: { 'tenant-provisioner.io/test': 'sandbox' } } } });
  namespaces.push(name);
  return name;
}

function deployment(name: string, replicas: number): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } },
    },
  };
}

afterAll(async () => {
  await Promise.all(namespaces.map((name) => kube.core.deleteNamespace({ name }).catch(() => undefined)));
});

describe('sandbox cluster', () => {
  it('answers /readyz with ok', async () => {
    const { stdout } = await execa(sandboxBinaries().kubectl, ['get', '--raw', '/readyz'], { env: { KUBECONFIG: kubeconfig } });
    expect(stdout).toBe('ok');
  });

  it('runs the pinned control plane version with RBAC and two KWOK nodes', async () => {
    const { stdout } = await execa(sandboxBinaries().kubectl, ['version', '-o', 'json'], { env: { KUBECONFIG: kubeconfig } });
    expect(JSON.parse(stdout).serverVersion.gitVersion).toBe('v1.37.2');
    const nodes = await kube.core.listNode();
    const kwokNodes = nodes.items.filter((n) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake');
    expect(kwokNodes.length).toBeGreaterThanOrEqual(2);
  });

  it('makes a 2-replica Deployment Available with its pods Ready on KWOK nodes', async () => {
    const namespace = await createNamespace('sbx-deploy');
    await eventually('default ServiceAccount', async () => (await kube.core.readNamespacedServiceAccount({ name: 'default', namespace })) ?? undefined);
    await kube.apps.createNamespacedDeployment({ namespace, body: deployment('web', 2) });
    const available = await eventually('Deployment Available', async () => {
      const d = await kube.apps.readNamespacedDeployment({ name: 'web', namespace });
      const condition = d.status?.conditions?.find((c) => c.type === 'Available' && c.status === 'True');
      return condition && d.status?.readyReplicas === 2 ? d : undefined;
    });
    expect(available.status?.availableReplicas).toBe(2);
    const pods = await kube.core.listNamespacedPod({ namespace });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('installs and uninstalls a chart with the pinned Helm 4', async () => {
    const namespace = await createNamespace('sbx-helm');
    const helm = sandboxBinaries().helm;
    const env = { KUBECONFIG: kubeconfig, HELM_CACHE_HOME: join(tmpdir(), 'tp-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'tp-helm-config') };
    const { stdout: version } = await execa(helm, ['version', '--short'], { env });
    expect(version).toMatch(/^v4\.3\.1/);
    const dir = await mkdtemp(join(tmpdir(), 'tp-values-'));
    const values = join(dir, 'values.yaml');
    await writeFile(values, 'replicas: 1\n');
    try {
      await execa(helm, ['upgrade', '--install', 'hello', 'test/fixtures/charts/hello', '--namespace', namespace, '--values', values], { env });
      const { stdout } = await execa(helm, ['status', 'hello', '--namespace', namespace, '-o', 'json'], { env });
      expect(JSON.parse(stdout).info.status).toBe('deployed');
      expect((await kube.apps.readNamespacedDeployment({ name: 'hello', namespace })).spec?.replicas).toBe(1);
      await execa(helm, ['uninstall', 'hello', '--namespace', namespace, '--wait'], { env });
      const gone = await kube.apps.readNamespacedDeployment({ name: 'hello', namespace }).then(() => 200, statusOf);
      expect(gone).toBe(404);
      const { stdout: list } = await execa(helm, ['list', '--namespace', namespace, '-o', 'json'], { env });
      expect(JSON.parse(list)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('deletes a namespace holding workloads within 30 s', async () => {
    const namespace = await createNamespace('sbx-delete');
    await eventually('default ServiceAccount', async () => (await kube.core.readNamespacedServiceAccount({ name: 'default', namespace })) ?? undefined);
    await kube.apps.createNamespacedDeployment({ namespace, body: deployment('busy', 2) });
    await eventually('pods running', async () => {
      const pods = await kube.core.listNamespacedPod({ namespace });
      return pods.items.filter((p) => p.status?.phase === 'Running').length === 2 ? true : undefined;
    });
    const started = Date.now();
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
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('simulates CloudNativePG: healthy status for the current generation, hibernation and wake', async () => {
    const namespace = await createNamespace('sbx-cnpg');
    const ref = { group: 'postgresql.cnpg.io', version: 'v1', namespace, plural: 'clusters' };
    type Cluster = {
      metadata: { generation: number; annotations?: Record<string, string> };
      spec: { instances: number };
      status?: { phase?: string; readyInstances?: number; conditions?: Array<{ type: string; status: string; observedGeneration?: number }> };
    };
    const read = async () => (await kube.custom.getNamespacedCustomObject({ ...ref, name: 'db' })) as Cluster;
    const healthy = (c: Cluster) =>
      c.status?.phase === 'Cluster in healthy state' &&
      c.status.readyInstances === c.spec.instances &&
      c.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True' && x.observedGeneration === c.metadata.generation);

    await kube.custom.createNamespacedCustomObject({
      ...ref,
      body: {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: 'db' },
        spec: { instances: 1, storage: { size: '1Gi' } },
      },
    });
    await eventually('Cluster healthy', async () => (healthy(await read()) ? true : undefined));

    await kube.custom.patchNamespacedCustomObject({ ...ref, name: 'db', body: [{ op: 'replace', path: '/spec/instances', value: 3 }] });
    const scaled = await eventually('Cluster healthy at 3 instances', async () => {
      const c = await read();
      return healthy(c) && c.status?.readyInstances === 3 ? c : undefined;
    });
    expect(scaled.metadata.generation).toBe(2);

    await kube.custom.patchNamespacedCustomObject({
      ...ref,
      name: 'db',
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'cnpg.io/hibernation': 'on' } }],
    });
    const hibernated = await eventually('Cluster hibernated', async () => {
      const c = await read();
      return c.status?.conditions?.some((x) => x.type === 'cnpg.io/hibernation' && x.status === 'True') ? c : undefined;
    });
    expect(hibernated.status?.readyInstances).toBe(0);
    expect(healthy(hibernated)).toBeFalsy();

    await kube.custom.patchNamespacedCustomObject({
      ...ref,
      name: 'db',
      body: [{ op: 'replace', path: '/metadata/annotations/cnpg.io~1hibernation', value: 'off' }],
    });
    const awake = await eventually('Cluster awake', async () => {
      const c = await read();
      return healthy(c) && !c.status?.conditions?.some((x) => x.type === 'cnpg.io/hibernation') ? c : undefined;
    });
    expect(awake.status?.readyInstances).toBe(3);
  });

  describe('RBAC', () => {
    let allowed: string;
    let other: string;
    let token: string;

    beforeAll(async () => {
      allowed = await createNamespace('sbx-rbac-a');
      other = await createNamespace('sbx-rbac-b');
      await kube.core.createNamespacedServiceAccount({ namespace: allowed, body: { metadata: { name: 'reader' } } });
      await kube.rbac.createNamespacedRole({
        namespace: allowed,
        body: {
          metadata: { name: 'configmap-reader' },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
        },
      });
      await kube.rbac.createNamespacedRoleBinding({
        namespace: allowed,
        body: {
          metadata: { name: 'reader' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: allowed }],
        },
      });
      const request = await kube.core.createNamespacedServiceAccountToken({ name: 'reader', namespace: allowed, body: { spec: { audiences: [] } } });
      token = request.status?.token ?? '';
      expect(token).not.toBe('');
    });

    it('lets a ServiceAccount do what its Role grants and refuses the rest with 403', async () => {
      const admin = new KubeConfig();
      admin.loadFromFile(kubeconfig);
      const cluster = admin.getCurrentCluster()!;
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [cluster],
        users: [{ name: 'reader', token }],
        contexts: [{ name: 'reader', cluster: cluster.name, user: 'reader' }],
        currentContext: 'reader',
      });
      const core = kc.makeApiClient(CoreV1Api);
      const list = await core.listNamespacedConfigMap({ namespace: allowed });
      expect(list.items.length).toBeGreaterThanOrEqual(0);
      expect(await core.listNamespacedConfigMap({ namespace: other }).then(() => 200, statusOf)).toBe(403);
      expect(await core.listNamespacedSecret({ namespace: allowed }).then(() => 200, statusOf)).toBe(403);
      expect(await core.deleteNamespace({ name: 'kube-system' }).then(() => 200, statusOf)).toBe(403);
    });
  });
});
