import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHelmClient } from '../../../src/helm/helm-client.ts';
import { resolveHelmRoute } from '../../../src/helm/helm-route.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createJobFences, FENCE_CLOSED } from '../../../src/worker/job-fence.ts';
import { sandboxBinaries } from '../../sandbox/versions.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';

// In a pod Helm would use its in-cluster config, which ignores --kube-tls-server-name, so the
// worker writes a kubeconfig naming the service account's CA and token files. Here the sandbox
// plays the pod: a service account's token and the cluster's CA in a directory standing in for
// /var/run/secrets/kubernetes.io/serviceaccount, and a real `helm upgrade --install` through a fence.
const kube = kubeClients(inject('kubeconfig'));
const namespace = uniqueName('fence-pod');
let dir: string;
let token = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tp-in-cluster-'));
  mkdirSync(join(dir, 'chart', 'templates'), { recursive: true });
  writeFileSync(join(dir, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: pod-probe\nversion: 0.1.0\n');
  writeFileSync(join(dir, 'chart', 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pod-probe\ndata:\n  from: in-cluster\n');
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  await kube.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'provisioner' } } });
  await kube.rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'provisioner-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'provisioner', namespace }],
    },
  });
  const request = await kube.core.createNamespacedServiceAccountToken({
    name: 'provisioner',
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  token = request.status?.token ?? '';
  if (!token) throw new Error('the sandbox issued no service account token');
  mkdirSync(join(dir, 'serviceaccount'));
  writeFileSync(join(dir, 'serviceaccount', 'token'), token, { mode: 0o600 });
  writeFileSync(join(dir, 'serviceaccount', 'ca.crt'), Buffer.from(kube.kc.getCurrentCluster()!.caData!, 'base64'));
});

afterAll(async () => {
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('the in-cluster route', () => {
  it("installs through the fence with the service account's token read by path, never copied", async () => {
    const server = new URL(kube.kc.getCurrentCluster()!.server);
    const env = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
    const route = resolveHelmRoute({ source: 'in-cluster' }, env, join(dir, 'serviceaccount'));
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', pretty: false, destination: { write: (line: string) => void lines.push(line) } });
    const fence = await createJobFences(route).open({
      lease: { tenantId: 'pod', token: 1, acquiredAt: Date.now() },
      keeper: { heldNow: () => true, lost: new AbortController().signal },
      logger,
    });
    // No KUBECONFIG and no kubeconfig option: what Helm knows of the cluster comes from the route.
    const helm = createHelmClient({ binary: sandboxBinaries().helm, env: { PATH: process.env.PATH, HOME: process.env.HOME } }).withConnection!(
      fence.connection,
    );
    const release = await helm.upgradeInstall({ release: 'pod-probe', namespace, chart: { path: join(dir, 'chart') }, values: '' });
    await fence.close();
    const kubeconfig = fence.connection.flags[fence.connection.flags.indexOf('--kubeconfig') + 1]!;
    const written = readFileSync(kubeconfig, 'utf8');
    route.dispose();

    expect(release).toMatchObject({ name: 'pod-probe', namespace, status: 'deployed' });
    expect(fence.connection.flags).toEqual(expect.arrayContaining(['--kube-tls-server-name', server.hostname]));
    expect(JSON.parse(lines.find((l) => l.includes(FENCE_CLOSED))!)).toMatchObject({ refused: 0, chunks: expect.any(Number) });
    expect(JSON.parse(lines.find((l) => l.includes(FENCE_CLOSED))!).chunks).toBeGreaterThan(0);
    expect(written).toContain(join(dir, 'serviceaccount', 'token'));
    for (const text of [written, ...fence.connection.flags, ...Object.values(fence.connection.env), ...lines]) expect(text).not.toContain(token);
    expect(existsSync(kubeconfig)).toBe(false);
  });
});
