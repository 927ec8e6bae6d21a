import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import type { ChangeRejectedError } from '../../../src/domain/errors.ts';
import type { ProvisionRequest } from '../../../src/domain/provision-request.ts';
import type { TierName } from '../../../src/domain/tiers.ts';
import { requestBackup } from '../../../src/lifecycle/backup-intake.ts';
import { requestProvision as provisionIntake } from '../../../src/lifecycle/provision-intake.ts';
import { FAST_LIFECYCLE, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { expectJobCompleted, lifecycleDeps, requestProvision, secretSnapshot } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// Clones on the sandbox through the real intake and worker: the clone's first Cluster is bootstrapped
// from the source's archive (the API server checks it against CloudNativePG's CRD; its readiness is
// the simulated operator's), with its own Secrets, while every object of the source keeps its
// resourceVersion: a clone only reads its source.
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(FAST_LIFECYCLE) } });
const harness = useWorkerHarness({ kubeconfig, config });

type Named = {
  metadata: { name: string; resourceVersion: string };
  // A Cluster's or an ObjectStore's, as far as this test reads them.
  spec: {
    bootstrap?: unknown;
    externalClusters: Array<{ plugin: { parameters: Record<string, string> } }>;
    configuration: { destinationPath: string };
    retentionPolicy?: string;
  };
};
const CUSTOM = [
  ['postgresql.cnpg.io', 'clusters'],
  ['postgresql.cnpg.io', 'scheduledbackups'],
  ['barmancloud.cnpg.io', 'objectstores'],
] as const;

async function customObjects(d: ServiceDeps, namespace: string, group: string, plural: string): Promise<Named[]> {
  return ((await d.kube.custom.listNamespacedCustomObject({ group, version: 'v1', namespace, plural })) as { items: Named[] }).items;
}

/** Every object of a tenant a clone could touch, by kind and name, with its resourceVersion. */
async function objectVersions(d: ServiceDeps, namespace: string): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  const ns = await d.kube.core.readNamespace({ name: namespace });
  versions[`Namespace/${namespace}`] = ns.metadata!.resourceVersion!;
  for (const s of (await d.kube.core.listNamespacedSecret({ namespace })).items) versions[`Secret/${s.metadata!.name}`] = s.metadata!.resourceVersion!;
  for (const c of (await d.kube.core.listNamespacedConfigMap({ namespace })).items) versions[`ConfigMap/${c.metadata!.name}`] = c.metadata!.resourceVersion!;
  for (const x of (await d.kube.apps.listNamespacedDeployment({ namespace })).items) versions[`Deployment/${x.metadata!.name}`] = x.metadata!.resourceVersion!;
  for (const [group, plural] of CUSTOM) {
    for (const o of await customObjects(d, namespace, group, plural)) versions[`${plural}/${o.metadata.name}`] = o.metadata.resourceVersion;
  }
  return versions;
}

const cloneRequest = (tier: TierName, cloneFrom: ProvisionRequest['cloneFrom']): ProvisionRequest => ({
  companyName: 'Clone Shop',
  ownerEmail: 'owner@example.com',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: tier,
  cloneFrom,
});
const intake = (d: ServiceDeps) => ({ config: d.config, tenants: d.registry, producer: d.producer, backups: d.workloads });

describe('clones on the sandbox', () => {
  it('starts a clone’s database from the source’s backup with its own Secrets, and leaves every object of the source as it was', async () => {
    const d = harness.deps;
    const source = await requestProvision(d, 'professional', { prefix: 'cs' });
    harness.created.push(source.tenantId);
    await expectJobCompleted(d.queue, source.jobId, 120_000);
    const backup = await requestBackup(lifecycleDeps(d), source.tenantId);
    await expectJobCompleted(d.queue, backup.jobId, 120_000);
    const [completed] = await d.workloads.listBackups(source.namespace, `${source.tenantId}-postgres`);
    expect(completed).toMatchObject({ phase: 'completed' });
    const before = await objectVersions(d, source.namespace);
    const sourceSecrets = await secretSnapshot(d, source.namespace);

    // Into a tier with backups (its own archive beside the source's) and into one without.
    const clones = [];
    for (const tier of ['professional', 'demo'] as const) {
      const tenantId = `cc-${tier.slice(0, 4)}-${randomBytes(3).toString('hex')}`;
      harness.created.push(tenantId);
      const accepted = await provisionIntake(intake(d), cloneRequest(tier, { tenantId: source.tenantId }), { tenantId, jobId: randomUUID() });
      clones.push({ tier, ...accepted });
    }
    for (const clone of clones) {
      await expectJobCompleted(d.queue, clone.jobId, 120_000);
      const [cluster, ...more] = await customObjects(d, clone.namespace, 'postgresql.cnpg.io', 'clusters');
      expect(more).toEqual([]);
      expect(cluster!.spec.bootstrap).toMatchObject({ recovery: { source: 'origin', recoveryTarget: { backupID: completed!.backupId } } });
      expect(cluster!.spec.externalClusters[0]!.plugin.parameters).toEqual({
        barmanObjectName: `${clone.tenantId}-clone-source`,
        serverName: `${source.tenantId}-postgres`,
      });
      const stores = await customObjects(d, clone.namespace, 'barmancloud.cnpg.io', 'objectstores');
      const cloneSource = stores.find((s) => s.metadata.name === `${clone.tenantId}-clone-source`)!;
      expect(cloneSource.spec.configuration.destinationPath).toMatch(new RegExp(`/${source.tenantId}$`));
      expect(cloneSource.spec.retentionPolicy).toBeUndefined();
      expect(stores.length).toBe(clone.tier === 'professional' ? 2 : 1);
      // Its own Secrets: the same names' pattern, none of the source's data.
      const secrets = await secretSnapshot(d, clone.namespace);
      const password = (s: Record<string, { data: unknown }>, name: string) => (s[name]?.data as Record<string, string> | undefined)?.password;
      expect(password(secrets, `${clone.tenantId}-db-credentials`)).toBeDefined();
      for (const [name, secret] of Object.entries(secrets)) {
        const sourceName = name.replace(clone.tenantId, source.tenantId);
        if (name.endsWith('-backup-credentials')) continue; // the platform's store keys, the same for every tenant
        expect(secret.data, name).not.toEqual(sourceSecrets[sourceName]?.data);
      }
      const tenant = (await d.registry.get(clone.tenantId))!;
      expect(tenant.desired.database).toEqual({
        generation: 1,
        recovery: { fromTenant: source.tenantId, fromGeneration: 1, target: { backupId: completed!.backupId } },
      });
      expect(tenant.operation).toMatchObject({ type: 'provision', state: 'completed' });
    }
    expect(await objectVersions(d, source.namespace)).toEqual(before);
  });

  it('refuses a source without backups, and clones into nothing', async () => {
    const d = harness.deps;
    const free = await requestProvision(d, 'free', { prefix: 'cs' });
    harness.created.push(free.tenantId);
    const tenantId = `cc-none-${randomBytes(3).toString('hex')}`;
    const refusal = (await provisionIntake(intake(d), cloneRequest('demo', { tenantId: free.tenantId }), { tenantId, jobId: randomUUID() }).catch(
      (e: unknown) => e,
    )) as ChangeRejectedError;
    expect(refusal.errors).toEqual([{ path: 'cloneFrom.tenantId', message: `is on tier free, which has no backups to clone from` }]);
    expect(await d.registry.get(tenantId)).toBeUndefined();
  });
});
