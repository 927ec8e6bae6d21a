import { beforeAll, describe, expect, it } from 'vitest';
import type { ChartValues } from '../../src/domain/chart-values.ts';
import type { TierName, TiersConfig } from '../../src/domain/tiers.ts';
import { findObject, renderChart, type K8sObject } from './helm.ts';
import { TIER_NAMES, loadTiers, valuesForTier } from './tier-values.ts';

// The seed's "Subscription Tiers" table, the acceptance this chart must render. Memory and CPU are
// compared with config/default.yaml itself, so the chart, the service and the config cannot drift.
// Backup retention is ours, not the seed's: what config/default.yaml gives each backup tier.
const SEED: Record<TierName, { instances: number; replicas: number; storage: string; backup: boolean; retention?: string }> = {
  demo: { instances: 1, replicas: 1, storage: '5Gi', backup: false },
  free: { instances: 1, replicas: 1, storage: '10Gi', backup: false },
  professional: { instances: 1, replicas: 2, storage: '50Gi', backup: true, retention: '30d' },
  enterprise: { instances: 3, replicas: 3, storage: '200Gi', backup: true, retention: '90d' },
};

let tiers: TiersConfig;
beforeAll(async () => {
  tiers = await loadTiers();
});

describe.each(TIER_NAMES)('helm template, %s tier', (tier) => {
  let values: ChartValues;
  let objects: K8sObject[];
  const id = `acme-${tier}`;
  beforeAll(async () => {
    values = valuesForTier(tiers, tier);
    objects = await renderChart(values);
  });

  it(`renders ${SEED[tier].instances} PostgreSQL instance(s) on ${SEED[tier].storage} with the tier's resources`, () => {
    const cluster = findObject(objects, 'Cluster', `${id}-postgres`);
    const limits = tiers[tier].postgres;
    expect(cluster.spec.instances).toBe(SEED[tier].instances);
    expect(cluster.spec.storage.size).toBe(SEED[tier].storage);
    expect(cluster.spec.resources).toEqual({
      requests: { cpu: limits.cpuRequest, memory: limits.memoryRequest },
      limits: { cpu: limits.cpuLimit, memory: limits.memoryLimit },
    });
    expect(cluster.spec.imageName).toBe('ghcr.io/cloudnative-pg/postgresql:17.5');
    expect(cluster.spec.bootstrap.initdb).toEqual({ database: 'app', owner: 'app', secret: { name: `${id}-db-credentials` } });
  });

  it.each(['api', 'web'] as const)(`runs the %s with ${SEED[tier].replicas} replica(s) and the tier's memory`, (component) => {
    const deployment = findObject(objects, 'Deployment', `${id}-${component}-blue`);
    const limits = tiers[tier][component];
    expect(deployment.spec.replicas).toBe(SEED[tier].replicas);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.resources).toEqual({
      requests: { cpu: limits.cpuRequest, memory: limits.memoryRequest },
      limits: { cpu: limits.cpuLimit, memory: limits.memoryLimit },
    });
  });

  it('tells the API its tier and mechanic limit (empty for unlimited)', () => {
    const config = findObject(objects, 'ConfigMap', `${id}-api-config`);
    const limit = tiers[tier].mechanicLimit;
    expect(config.data).toMatchObject({ TENANT_TIER: tier, MECHANIC_LIMIT: limit === null ? '' : String(limit), TENANT_EXPIRES_AT: '' });
  });

  it(SEED[tier].backup ? `archives through the Barman Cloud plugin to its own prefix, kept ${SEED[tier].retention}` : 'has no backups', () => {
    const cluster = findObject(objects, 'Cluster', `${id}-postgres`);
    const scheduled = objects.filter((o) => o.kind === 'ScheduledBackup');
    const stores = objects.filter((o) => o.kind === 'ObjectStore');
    // The in-tree store is gone for every tier: CloudNativePG deprecated it in 1.26.
    expect(cluster.spec.backup).toBeUndefined();
    if (!SEED[tier].backup) {
      expect(cluster.spec.plugins).toBeUndefined();
      expect(scheduled).toEqual([]);
      expect(stores).toEqual([]);
      return;
    }
    const store = findObject(objects, 'ObjectStore', `${id}-object-store`);
    expect(store.apiVersion).toBe('barmancloud.cnpg.io/v1');
    // The retention comes from the tier table (config/default.yaml), not one platform value.
    expect(store.spec.retentionPolicy).toBe(tiers[tier].backupRetention);
    expect(store.spec.retentionPolicy).toBe(SEED[tier].retention);
    expect(store.spec.configuration.destinationPath).toBe(`s3://tenant-backups/tenants/${id}`);
    expect(cluster.spec.plugins).toEqual([
      {
        name: 'barman-cloud.cloudnative-pg.io',
        isWALArchiver: true,
        parameters: { barmanObjectName: `${id}-object-store`, serverName: `${id}-postgres` },
      },
    ]);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]?.spec).toEqual({
      schedule: '0 0 2 * * *',
      immediate: true,
      backupOwnerReference: 'self',
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
      suspend: false,
      cluster: { name: `${id}-postgres` },
    });
  });

  it('bounds the namespace with the quota and limit range derived from the tier', () => {
    const quota = findObject(objects, 'ResourceQuota', `${id}-quota`);
    expect(quota.spec.hard).toMatchObject({
      'requests.cpu': values.quota.requests.cpu,
      'requests.memory': values.quota.requests.memory,
      'requests.storage': values.quota.requests.storage,
      'limits.cpu': values.quota.limits.cpu,
      'limits.memory': values.quota.limits.memory,
      pods: String(values.quota.pods),
      persistentvolumeclaims: String(values.quota.persistentVolumeClaims),
    });
    const limitRange = findObject(objects, 'LimitRange', `${id}-limits`);
    const [container, volume] = limitRange.spec.limits;
    const largestLimit = [tiers[tier].postgres, tiers[tier].api, tiers[tier].web].map((r) => r.memoryLimit);
    expect(largestLimit).toContain(container.max.memory);
    expect(volume).toEqual({ type: 'PersistentVolumeClaim', max: { storage: SEED[tier].storage } });
  });

  it('renders no Namespace and no Secret', () => {
    expect(objects.filter((o) => o.kind === 'Namespace')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(objects.filter((o) => o.data !== undefined && o.kind !== 'ConfigMap')).toEqual([]);
  });
});
