import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NetworkingV1Api } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { serializeChartValues, type ChartValues } from '../../src/domain/chart-values.ts';
import { TENANT_SECRET_KEYS as KEYS, tenantSecretNames } from '../../src/domain/tenant-secrets.ts';
import type { TierName, TiersConfig } from '../../src/domain/tiers.ts';
import { eventually, kubeClients, uniqueName } from '../support/kube.ts';
import { CHART_DIR, helm, withValuesFile } from './helm.ts';
import { TIER_NAMES, loadTiers, valuesForTier } from './tier-values.ts';

// Real installs on the sandbox (a real kube-apiserver, KWOK pods, simulated CloudNativePG status):
// each tier installs into its own namespace, becomes Ready, and an identical upgrade is a no-op.
const kubeconfig = inject('kubeconfig');
const kube = kubeClients(kubeconfig);
const networking = kube.kc.makeApiClient(NetworkingV1Api);
let tiers: TiersConfig;

beforeAll(async () => {
  tiers = await loadTiers();
});

/** What the service does before installing: the namespace and the Secrets the chart references. */
async function prepareNamespace(tier: TierName, tenantId: string, values: ChartValues): Promise<string> {
  const namespace = `chart-${tenantId}`;
  await kube.core.createNamespace({ body: { metadata: { name: namespace, labels: { 'tenant-provisioner.io/test': 'chart' } } } });
  onTestFinished(async () => {
    await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });
  const names = tenantSecretNames(tenantId);
  const random = () => randomBytes(24).toString('base64url');
  const secrets: { name: string; type: string; stringData: Record<string, string> }[] = [
    {
      name: names.database,
      type: 'kubernetes.io/basic-auth',
      stringData: { [KEYS.database.username]: values.postgres.owner, [KEYS.database.password]: random() },
    },
    {
      name: names.app,
      type: 'Opaque',
      stringData: { [KEYS.app.jwtSigningKey]: random(), [KEYS.app.consumerSecret]: random(), [KEYS.app.sessionSecret]: random() },
    },
    { name: names.admin, type: 'kubernetes.io/basic-auth', stringData: { [KEYS.admin.username]: 'admin', [KEYS.admin.password]: random() } },
  ];
  if (tiers[tier].backupEnabled) {
    secrets.push({
      name: names.backupCredentials,
      type: 'Opaque',
      stringData: { [KEYS.backupCredentials.accessKeyId]: 'test', [KEYS.backupCredentials.secretAccessKey]: random() },
    });
  }
  for (const { name, type, stringData } of secrets) {
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name }, type, stringData } });
  }
  return namespace;
}

async function upgradeInstall(namespace: string, values: ChartValues | Omit<ChartValues, 'activeSlot' | 'inactiveSlot'>, chart = CHART_DIR) {
  // Like the worker: no --wait (readiness is observed below), values from a file, never --set.
  const result = await withValuesFile(serializeChartValues(values as ChartValues), (file) =>
    helm(['upgrade', '--install', namespace, chart, '--namespace', namespace, '-f', file], { KUBECONFIG: kubeconfig }),
  );
  expect(result.stderr, result.stderr).not.toMatch(/Error/);
  expect(result.exitCode).toBe(0);
}

async function waitForDeployment(namespace: string, name: string, replicas: number) {
  return eventually(
    `Deployment ${name} available`,
    async () => {
      const d = await kube.apps.readNamespacedDeployment({ namespace, name });
      const s = d.status;
      const available = s?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
      const rolledOut = s?.observedGeneration === d.metadata?.generation && s?.updatedReplicas === replicas && s?.readyReplicas === replicas;
      return available && rolledOut ? d : undefined;
    },
    60_000,
  );
}

type CnpgCluster = {
  metadata: { generation: number };
  spec: { instances: number };
  status?: { phase?: string; readyInstances?: number; conditions?: { type: string; status: string; observedGeneration?: number }[] };
};

async function waitForDatabase(namespace: string, name: string) {
  return eventually(
    `CNPG Cluster ${name} healthy`,
    async () => {
      const c = (await kube.custom.getNamespacedCustomObject({
        group: 'postgresql.cnpg.io',
        version: 'v1',
        namespace,
        plural: 'clusters',
        name,
      })) as CnpgCluster;
      const ready = c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True' && x.observedGeneration === c.metadata.generation);
      return ready && c.status?.phase === 'Cluster in healthy state' && c.status.readyInstances === c.spec.instances ? c : undefined;
    },
    60_000,
  );
}

/** Identity of everything an upgrade must leave alone. Helm's own release records are excluded. */
async function snapshot(namespace: string) {
  const secrets = await kube.core.listNamespacedSecret({ namespace, labelSelector: 'owner!=helm' });
  const pods = await kube.core.listNamespacedPod({ namespace });
  const replicaSets = await kube.apps.listNamespacedReplicaSet({ namespace });
  const deployments = await kube.apps.listNamespacedDeployment({ namespace });
  const byName = (
    items: { metadata?: { name?: string; uid?: string; resourceVersion?: string; generation?: number } }[],
    pick: 'uid' | 'resourceVersion' | 'generation',
  ) => Object.fromEntries(items.map((i) => [i.metadata?.name, i.metadata?.[pick]]).sort());
  return {
    secrets: byName(secrets.items, 'resourceVersion'),
    pods: byName(pods.items, 'uid'),
    replicaSets: byName(replicaSets.items, 'uid'),
    deploymentGenerations: byName(deployments.items, 'generation'),
  };
}

type Listed<T> = { items: T[] };
type PluginEntry = { name: string; isWALArchiver?: boolean; parameters?: Record<string, string> };

/**
 * Backup tiers' ObjectStore, plugin entry and plugin ScheduledBackup as the API server stored them:
 * the sandbox serves CloudNativePG's and the Barman Cloud plugin's own CRDs, so a field their
 * schemas do not know would have been refused or pruned.
 */
async function expectBackupObjects(namespace: string, tenantId: string, values: ChartValues) {
  const list = async <T>(group: string, plural: string) =>
    ((await kube.custom.listNamespacedCustomObject({ group, version: 'v1', namespace, plural })) as Listed<T>).items;
  const scheduled = await list<{ spec: { method?: string; pluginConfiguration?: { name: string } } }>('postgresql.cnpg.io', 'scheduledbackups');
  const stores = await list<{ metadata: { name: string }; spec: { retentionPolicy: string; configuration: Record<string, unknown> } }>(
    'barmancloud.cnpg.io',
    'objectstores',
  );
  const cluster = (await kube.custom.getNamespacedCustomObject({
    group: 'postgresql.cnpg.io',
    version: 'v1',
    namespace,
    plural: 'clusters',
    name: `${tenantId}-postgres`,
  })) as { spec: { plugins?: PluginEntry[]; backup?: unknown } };
  expect(cluster.spec.backup).toBeUndefined();
  if (!values.backup.enabled) {
    expect([scheduled, stores, cluster.spec.plugins ?? []]).toEqual([[], [], []]);
    return;
  }
  expect(scheduled.map((s) => [s.spec.method, s.spec.pluginConfiguration?.name])).toEqual([['plugin', 'barman-cloud.cloudnative-pg.io']]);
  expect(stores.map((s) => [s.metadata.name, s.spec.retentionPolicy, s.spec.configuration['destinationPath']])).toEqual([
    [`${tenantId}-object-store`, values.backup.retentionPolicy, values.backup.destinationPath],
  ]);
  expect(Object.keys(stores[0]!.spec.configuration).sort()).toEqual(['data', 'destinationPath', 'endpointURL', 's3Credentials', 'wal']);
  // `enabled: true` is the CRD's default, filled in by the API server.
  expect(cluster.spec.plugins).toEqual([
    {
      name: 'barman-cloud.cloudnative-pg.io',
      enabled: true,
      isWALArchiver: true,
      parameters: { barmanObjectName: `${tenantId}-object-store`, serverName: `${tenantId}-postgres` },
    },
  ]);
}

describe.each(TIER_NAMES)('helm upgrade --install on the sandbox, %s tier', (tier) => {
  it('installs, becomes Ready, and a second identical upgrade changes no Secret and restarts no pod', async () => {
    const tenantId = uniqueName(`c-${tier.slice(0, 4)}`);
    const values = valuesForTier(tiers, tier, { tenantId, customDomain: `${tenantId}.shops.example` });
    const namespace = await prepareNamespace(tier, tenantId, values);

    await upgradeInstall(namespace, values);
    const cluster = await waitForDatabase(namespace, `${tenantId}-postgres`);
    expect(cluster.spec.instances).toBe(values.postgres.instances);
    await waitForDeployment(namespace, `${tenantId}-api-blue`, values.api.replicas);
    await waitForDeployment(namespace, `${tenantId}-web-blue`, values.web.replicas);
    const ingress = await networking.readNamespacedIngress({ namespace, name: `${tenantId}-ingress` });
    expect(ingress.spec?.tls).toHaveLength(2);
    await expectBackupObjects(namespace, tenantId, values);

    const before = await snapshot(namespace);
    expect(Object.keys(before.pods)).toHaveLength(values.api.replicas + values.web.replicas);
    expect(Object.keys(before.secrets)).toHaveLength(values.backup.enabled ? 4 : 3);
    await upgradeInstall(namespace, values);
    await waitForDeployment(namespace, `${tenantId}-api-blue`, values.api.replicas);
    await waitForDeployment(namespace, `${tenantId}-web-blue`, values.web.replicas);
    await waitForDatabase(namespace, `${tenantId}-postgres`);
    expect(await snapshot(namespace)).toEqual(before);

    // And the comparison above can see a change: new config, new ReplicaSets; Secrets still untouched.
    await upgradeInstall(namespace, { ...values, tenant: { ...values.tenant, companyName: 'Acme Auto & Sons' } });
    await waitForDeployment(namespace, `${tenantId}-api-blue`, values.api.replicas);
    const after = await snapshot(namespace);
    expect(Object.keys(after.replicaSets)).not.toEqual(Object.keys(before.replicaSets));
    expect(after.secrets).toEqual(before.secrets);
  });
});

/** The tenant chart as it was before blue-green slots (one Deployment per component), from git history. */
const BEFORE_SLOTS = 'e1c89f1';

async function chartBeforeSlots(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chart-before-slots-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const run = promisify(execFile);
  await run('git', ['archive', '--format=tar', '-o', join(dir, 'chart.tar'), BEFORE_SLOTS, 'charts/mechanicbuddy-tenant'], {
    cwd: join(CHART_DIR, '../..'),
  });
  await run('tar', ['-xf', join(dir, 'chart.tar'), '-C', dir]);
  return join(dir, 'charts/mechanicbuddy-tenant');
}

describe('helm upgrade from the chart before blue-green slots', () => {
  it('replaces <id>-api and <id>-web with the blue slot, and the Services follow the new pods', async () => {
    const tenantId = uniqueName('c-slot');
    const values = valuesForTier(tiers, 'demo', { tenantId });
    const namespace = await prepareNamespace('demo', tenantId, values);
    const { activeSlot: _slot, inactiveSlot: _inactive, ...oldValues } = values;
    await upgradeInstall(namespace, oldValues, await chartBeforeSlots());
    await waitForDeployment(namespace, `${tenantId}-api`, values.api.replicas);
    await waitForDeployment(namespace, `${tenantId}-web`, values.web.replicas);
    const oldPods = (await kube.core.listNamespacedPod({ namespace })).items.map((p) => p.metadata!.name!);

    await upgradeInstall(namespace, values);
    await waitForDeployment(namespace, `${tenantId}-api-blue`, values.api.replicas);
    await waitForDeployment(namespace, `${tenantId}-web-blue`, values.web.replicas);
    const deployments = (await kube.apps.listNamespacedDeployment({ namespace })).items.map((d) => d.metadata!.name!).sort();
    expect(deployments).toEqual([`${tenantId}-api-blue`, `${tenantId}-web-blue`]);
    for (const component of ['api', 'web']) {
      const service = await kube.core.readNamespacedService({ namespace, name: `${tenantId}-${component}` });
      expect(service.spec?.selector).toMatchObject({ 'app.kubernetes.io/component': component, 'tenant-provisioner.io/slot': 'blue' });
    }
    // The old Deployments' pods are garbage-collected with them; only slot pods remain.
    await eventually('the old pods gone', async () => {
      const pods = (await kube.core.listNamespacedPod({ namespace })).items.map((p) => p.metadata!.name!);
      return pods.some((name) => oldPods.includes(name)) ? undefined : pods;
    });
    const pods = (await kube.core.listNamespacedPod({ namespace })).items;
    expect(pods.map((p) => p.metadata!.labels!['tenant-provisioner.io/slot'])).toEqual(pods.map(() => 'blue'));
  });
});
