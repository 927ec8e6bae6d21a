import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  VersionApi,
  setHeaderOptions,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { serializeChartValues } from '../../../src/domain/chart-values.ts';
import { ensureTenantSecrets } from '../../../src/kubernetes/tenant-secrets.ts';
import { CHART_DIR as TENANT_CHART_DIR, helm, withValuesFile } from '../../chart/helm.ts';
import { loadTiers, valuesForTier } from '../../chart/tier-values.ts';
import { eventually, kubeClients, statusOf, uniqueName } from '../../support/kube.ts';

// The provisioner's own chart on the sandbox (RBAC on, PodSecurity admission, KWOK pods): it lints,
// installs into a namespace that enforces the restricted Pod Security Standard, its pods become
// Ready, and its ServiceAccount can do what the service needs and nothing it must not.
const CHART = resolve(import.meta.dirname, '../../../charts/tenant-provisioner');
const kubeconfig = inject('kubeconfig');
const admin = kubeClients(kubeconfig);

const id = uniqueName('tpc');
const namespace = id; // the release namespace
const prefix = `${id}-t-`; // tenant namespaces of this installation only
const tenantRole = `${id}-tenant`;
const serviceAccount = id;
const values = {
  fullnameOverride: id,
  image: { repository: 'registry.invalid/tenant-provisioner', tag: '0.1.0' }, // KWOK never pulls
  tenants: { namespacePrefix: prefix },
  auth: { existingSecret: { name: 'provisioner-auth', key: 'AUTH_JWT_SECRET' } },
  redis: { enabled: true, persistence: { enabled: false } }, // the sandbox provisions no volumes
};
const createdNamespaces = new Set<string>();

type Sa = { kc: KubeConfig; kubeconfigText: string; core: CoreV1Api; apps: AppsV1Api; rbac: RbacAuthorizationV1Api };
let sa: Sa;

async function helmWithValues(args: string[], env: Record<string, string> = { KUBECONFIG: kubeconfig }) {
  return withValuesFile(values, (file) => helm([...args, '-f', file], env));
}

/** Creates `name` labelled as a tenant namespace of this run, through `core`. */
function tenantNamespace(name: string, labels: Record<string, string> = {}) {
  return {
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/managed-by': 'tenant-provisioner',
        'pod-security.kubernetes.io/enforce': 'restricted',
        ...labels,
      },
    },
  };
}

async function refused(call: Promise<unknown>): Promise<{ status: number | undefined; body: string }> {
  try {
    await call;
  } catch (error) {
    return { status: statusOf(error), body: String((error as { body?: unknown }).body ?? error) };
  }
  throw new Error('the request was allowed');
}

/** A kubeconfig for the chart's ServiceAccount, from a short-lived TokenRequest token. */
async function serviceAccountClients(): Promise<Sa> {
  const token = await admin.core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 1800 } },
  });
  const cluster = admin.kc.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster, name: 'sandbox' }],
    users: [{ name: serviceAccount, token: token.status!.token }],
    contexts: [{ name: 'sa', cluster: 'sandbox', user: serviceAccount }],
    currentContext: 'sa',
  });
  return {
    kc,
    kubeconfigText: kc.exportConfig(),
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
  };
}

/** What the service does when it creates a tenant namespace: bind the tenant role there for itself. */
function tenantRoleBinding(subject = { kind: 'ServiceAccount', name: serviceAccount, namespace }, roleName = tenantRole) {
  return {
    metadata: { name: tenantRole },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [subject],
  };
}

beforeAll(async () => {
  await admin.core.createNamespace({
    body: {
      metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } },
    },
  });
  createdNamespaces.add(namespace);
  const secret = (name: string, stringData: Record<string, string>) =>
    admin.core.createNamespacedSecret({ namespace, body: { metadata: { name }, type: 'Opaque', stringData } });
  await secret('provisioner-auth', { AUTH_JWT_SECRET: randomBytes(32).toString('base64url') });
  await secret('backup-s3-credentials', { ACCESS_KEY_ID: 'test', ACCESS_SECRET_KEY: 'test' });
  await secret('not-for-the-provisioner', { value: 'x' });

  const lint = await helmWithValues(['lint', '--strict', CHART]);
  expect(lint.exitCode, lint.stdout + lint.stderr).toBe(0);
  const install = await helmWithValues(['upgrade', '--install', id, CHART, '--namespace', namespace]);
  expect(install.exitCode, install.stderr).toBe(0);
  sa = await serviceAccountClients();
});

afterAll(async () => {
  // Cluster-scoped objects (ClusterRoles, bindings, admission policies) go with the release.
  await helm(['uninstall', id, '--namespace', namespace], { KUBECONFIG: kubeconfig }).catch(() => undefined);
  for (const name of createdNamespaces) await admin.core.deleteNamespace({ name }).catch(() => undefined);
});

describe('the tenant-provisioner chart on the sandbox', () => {
  it('runs API, workers and Redis to Ready in a namespace that enforces the restricted Pod Security Standard', async () => {
    for (const name of [`${id}-api`, `${id}-worker`]) {
      await eventually(
        `Deployment ${name} available`,
        async () => {
          const d = await admin.apps.readNamespacedDeployment({ namespace, name });
          return d.status?.readyReplicas === 2 && d.status.observedGeneration === d.metadata?.generation ? d : undefined;
        },
        60_000,
      );
    }
    await eventually(
      'Redis ready',
      async () => {
        const s = await admin.apps.readNamespacedStatefulSet({ namespace, name: `${id}-redis` });
        return s.status?.readyReplicas === 1 ? s : undefined;
      },
      60_000,
    );

    // PodSecurity admitted every pod; ask it about each template directly too, for a clear message.
    const templates: [string, V1PodTemplateSpec][] = [
      ...(await admin.apps.listNamespacedDeployment({ namespace })).items.map((d) => [d.metadata!.name!, d.spec!.template] as [string, V1PodTemplateSpec]),
      ...(await admin.apps.listNamespacedStatefulSet({ namespace })).items.map((s) => [s.metadata!.name!, s.spec!.template] as [string, V1PodTemplateSpec]),
    ];
    expect(templates.map(([name]) => name).sort()).toEqual([`${id}-api`, `${id}-redis`, `${id}-worker`]);
    for (const [name, template] of templates) {
      await admin.core.createNamespacedPod({ namespace, dryRun: 'All', body: { metadata: { name: `${name}-pss-check` }, spec: template.spec! } });
    }
    const pods = await admin.core.listNamespacedPod({ namespace });
    expect(pods.items).toHaveLength(5);
    for (const pod of pods.items) {
      for (const c of pod.spec!.containers) expect(c.securityContext, `${pod.metadata?.name}/${c.name}`).toMatchObject({ readOnlyRootFilesystem: true });
    }
  });

  it('renders a configuration file the service accepts, with the chart-owned fields', async () => {
    const config = await admin.core.readNamespacedConfigMap({ namespace, name: `${id}-config` });
    const file = config.data!['config.yaml']!;
    const defaults = await readFile(resolve(import.meta.dirname, '../../../config/default.yaml'), 'utf8');
    const loaded = loadConfig({
      env: {
        CONFIG_FILE: '/etc/tenant-provisioner/config.yaml',
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        REDIS_URL: 'redis://r:6379',
        AUTH_JWT_SECRET: 'x'.repeat(32),
      },
      files: { 'config/default.yaml': defaults, '/etc/tenant-provisioner/config.yaml': file },
    });
    expect(loaded.server).toEqual({ host: '0.0.0.0', port: 3000, healthPort: 3001, closedPagePort: 3002 });
    expect(loaded.platform.closedPage).toEqual({ externalName: `${id}-api.${namespace}.svc.cluster.local`, port: 3002 });
    expect(loaded.platform.namespacePrefix).toBe(prefix);
    expect(loaded.platform.claimsNamespace).toBe(namespace);
    expect(loaded.platform.backup.credentialsSecret).toEqual({ namespace, name: 'backup-s3-credentials' });
    expect(loaded.kubernetes).toEqual({ source: 'in-cluster' });
  });

  it('confines the ServiceAccount: no cluster-wide Secrets, no kube-system, no cluster bindings, no other namespaces', async () => {
    // The admission policies take effect within moments of their creation; wait for that first.
    await eventually('the namespace admission policy to be active', async () => {
      const r = await refused(sa.core.createNamespace({ body: { metadata: { name: `${prefix}unlabelled` } }, dryRun: 'All' })).catch(() => undefined);
      return r?.status === 403 ? r : undefined;
    });

    expect((await refused(sa.core.listSecretForAllNamespaces())).status).toBe(403);
    expect((await refused(sa.core.listNamespacedSecret({ namespace: 'kube-system' }))).status).toBe(403);
    expect((await refused(sa.core.readNamespacedSecret({ namespace, name: 'not-for-the-provisioner' }))).status).toBe(403);
    const backup = await sa.core.readNamespacedSecret({ namespace, name: 'backup-s3-credentials' });
    expect(backup.data?.['ACCESS_KEY_ID']).toBeDefined();

    // RBAC allows namespace deletion (deprovisioning needs it); the admission policy refuses it for
    // every namespace that is not one of its tenants' (kube-system is also immortal by itself).
    expect((await refused(sa.core.deleteNamespace({ name: 'kube-system', dryRun: 'All' }))).status).toBe(403);
    for (const name of [namespace, 'cnpg-system']) {
      const r = await refused(sa.core.deleteNamespace({ name, dryRun: 'All' }));
      expect(r.status, name).toBe(403);
      expect(r.body).toContain('may only delete its own tenant namespaces');
    }
    // Nor can it relabel a namespace into a tenant namespace to get around that.
    const relabel = await refused(
      sa.core.patchNamespace(
        { name: 'kube-system', dryRun: 'All', body: { metadata: { labels: { 'app.kubernetes.io/managed-by': 'tenant-provisioner' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(relabel.status).toBe(403);
    expect(relabel.body).toContain('may only change its own tenant namespaces');

    for (const body of [
      { metadata: { name: `${prefix}unlabelled` } },
      tenantNamespace(`${id}-outside-prefix`),
      tenantNamespace(`${prefix}privileged`, { 'pod-security.kubernetes.io/enforce': 'privileged' }),
      tenantNamespace(`${prefix}old-standard`, { 'pod-security.kubernetes.io/enforce-version': 'v1.24' }),
    ]) {
      const r = await refused(sa.core.createNamespace({ body, dryRun: 'All' }));
      expect(r.status, body.metadata.name).toBe(403);
      expect(r.body).toContain('may only create namespaces named');
    }

    const crb = await refused(
      sa.rbac.createClusterRoleBinding({
        dryRun: 'All',
        body: {
          metadata: { name: `${id}-escalate` },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
        },
      }),
    );
    expect(crb.status).toBe(403);
    // Binding the tenant role outside tenant namespaces would hand it kube-system's Secrets.
    expect((await refused(sa.rbac.createNamespacedRoleBinding({ namespace: 'kube-system', dryRun: 'All', body: tenantRoleBinding() }))).status).toBe(403);
    expect((await refused(sa.rbac.createNamespacedRoleBinding({ namespace, dryRun: 'All', body: tenantRoleBinding() }))).status).toBe(403);

    const version = await sa.kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+/);
  });

  it('creates a tenant namespace, binds the tenant role there, and installs, upgrades and uninstalls the tenant chart as the ServiceAccount', async () => {
    const tiers = await loadTiers();
    const tenantId = uniqueName('acme');
    const tenantNs = `${prefix}${tenantId}`;
    await sa.core.createNamespace({ body: tenantNamespace(tenantNs, { 'tenant-provisioner.io/tenant-id': tenantId }) });
    createdNamespaces.add(tenantNs);
    // Only the tenant role, only to itself: another role or another subject is refused.
    expect(
      (await refused(sa.rbac.createNamespacedRoleBinding({ namespace: tenantNs, dryRun: 'All', body: tenantRoleBinding(undefined, 'admin') }))).status,
    ).toBe(403);
    expect(
      (
        await refused(
          sa.rbac.createNamespacedRoleBinding({
            namespace: tenantNs,
            dryRun: 'All',
            body: tenantRoleBinding({ kind: 'ServiceAccount', name: 'default', namespace: tenantNs }),
          }),
        )
      ).status,
    ).toBe(403);
    await sa.rbac.createNamespacedRoleBinding({ namespace: tenantNs, body: tenantRoleBinding() });

    // Now it can create Secrets there (RBAC's cache may take a moment to see the new binding).
    const chartValues = valuesForTier(tiers, 'demo', { tenantId });
    const created = await eventually('Secrets created as the ServiceAccount', () =>
      ensureTenantSecrets(sa.core, { namespace: tenantNs, tenantId, databaseOwner: chartValues.postgres.owner, adminUsername: 'admin' }),
    );
    expect(created).toHaveLength(3);

    const saEnv = await writeKubeconfig(sa.kubeconfigText);
    try {
      const install = (companyName: string) =>
        withValuesFile(serializeChartValues({ ...chartValues, tenant: { ...chartValues.tenant, companyName } }), (file) =>
          helm(['upgrade', '--install', tenantNs, TENANT_CHART_DIR, '--namespace', tenantNs, '-f', file], saEnv.env),
        );
      const first = await install('Acme Auto');
      expect(first.exitCode, first.stderr).toBe(0);
      expect(first.stderr).not.toMatch(/forbidden/i); // nothing Helm tried was refused, even quietly
      const custom = sa.kc.makeApiClient(CustomObjectsApi);
      await eventually(
        'the database as seen by the ServiceAccount',
        async () => {
          const c = (await custom.getNamespacedCustomObject({
            group: 'postgresql.cnpg.io',
            version: 'v1',
            namespace: tenantNs,
            plural: 'clusters',
            name: `${tenantId}-postgres`,
          })) as { status?: { readyInstances?: number } };
          return c.status?.readyInstances === 1 ? c : undefined;
        },
        60_000,
      );
      const upgrade = await install('Acme Auto & Sons');
      expect(upgrade.exitCode, upgrade.stderr).toBe(0);
      expect(upgrade.stderr).not.toMatch(/forbidden/i);
      const status = await helm(['status', tenantNs, '--namespace', tenantNs, '--output', 'json'], saEnv.env);
      expect(JSON.parse(status.stdout)).toMatchObject({ version: 2, info: { status: 'deployed' } });
      const deployments = await sa.apps.listNamespacedDeployment({ namespace: tenantNs });
      expect(deployments.items.length).toBeGreaterThan(0);
      const uninstall = await helm(['uninstall', tenantNs, '--namespace', tenantNs], saEnv.env);
      expect(uninstall.exitCode, uninstall.stderr).toBe(0);
    } finally {
      await saEnv.remove();
    }

    // Deprovisioning: its own tenant namespace, yes.
    await sa.core.deleteNamespace({ name: tenantNs });
  });
});

async function writeKubeconfig(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'tpc-kubeconfig-'));
  const file = join(dir, 'kubeconfig');
  await writeFile(file, text, { mode: 0o600 });
  return { env: { KUBECONFIG: file }, remove: () => rm(dir, { recursive: true, force: true }) };
}
