import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildChartValues } from '../../src/domain/chart-values.ts';
import type { DatabaseSpec } from '../../src/domain/database-generation.ts';
import type { TiersConfig } from '../../src/domain/tiers.ts';
import { kubeClients, uniqueName } from '../support/kube.ts';
import { expectClusterAccepted } from './dry-run.ts';
import { renderChart, type K8sObject } from './helm.ts';
import { TEST_PLATFORM, loadTiers } from './tier-values.ts';

// A restore's layouts through the chart: the new Cluster bootstrapped from the old one's archive
// beside the serving one, then the application on the new one with the old kept, then the new
// alone; each Cluster accepted by CloudNativePG's own CRD (a strict server-side dry run).
const kube = kubeClients(inject('kubeconfig'));
const namespace = uniqueName('chart-restore');
const id = 'rs-main';
let tiers: TiersConfig;

beforeAll(async () => {
  tiers = await loadTiers();
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
});
afterAll(async () => {
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

const first: DatabaseSpec = { generation: 1 };
const restored: DatabaseSpec = { generation: 2, recovery: { fromGeneration: 1, target: { backupId: '20261201T020000' } } };
const pitr: DatabaseSpec = { generation: 3, recovery: { fromGeneration: 2, target: { targetTime: '2026-12-04T10:15:00Z' } } };

async function render(serving: DatabaseSpec, alongside: DatabaseSpec | null) {
  const values = buildChartValues({
    platform: { ...TEST_PLATFORM, backup: { provider: 's3', destinationPrefix: 's3://b/tenants' } },
    tierName: 'professional',
    tierLimits: tiers.professional,
    tenant: { tenantId: id, companyName: 'Restore', expiresAt: null, databases: { serving, alongside } },
  });
  return { values, objects: await renderChart(values) };
}
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

const accepted = (cluster: K8sObject) => expectClusterAccepted(kube, namespace, cluster);

describe('restore layouts in the rendered chart', () => {
  it('stages the restored Cluster beside the serving one, bootstrapped from its archive; the application stays', async () => {
    const { values, objects } = await render(first, restored);
    const clusters = ofKind(objects, 'Cluster');
    expect(clusters.map((c) => c.metadata.name)).toEqual([`${id}-postgres`, `${id}-postgres-g2`]);
    expect(clusters[0]!.spec.bootstrap).toHaveProperty('initdb');
    expect(clusters[1]!.spec.bootstrap.recovery).toEqual({
      source: 'origin',
      database: values.postgres.database,
      owner: values.postgres.owner,
      secret: { name: values.secrets.database },
      recoveryTarget: { backupID: '20261201T020000' },
    });
    expect(clusters[1]!.spec.externalClusters).toEqual([
      {
        name: 'origin',
        plugin: { name: 'barman-cloud.cloudnative-pg.io', parameters: { barmanObjectName: `${id}-object-store`, serverName: `${id}-postgres` } },
      },
    ]);
    // Each archives under its own server name; the schedule backs up the serving one.
    expect(clusters.map((c) => c.spec.plugins[0].parameters.serverName)).toEqual([`${id}-postgres`, `${id}-postgres-g2`]);
    expect(ofKind(objects, 'ScheduledBackup')[0]!.spec.cluster.name).toBe(`${id}-postgres`);
    const host = (o: K8sObject[]) => ofKind(o, 'ConfigMap').find((c) => c.data?.DbOptions__Host)?.data?.DbOptions__Host;
    expect(host(objects)).toBe(`${id}-postgres-rw`);
    // The database policy covers both; the quota admits both Clusters' volumes.
    const policy = ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === `${id}-database`)!;
    expect(policy.spec.podSelector.matchExpressions[0].values).toEqual([`${id}-postgres`, `${id}-postgres-g2`]);
    expect(values.quota.persistentVolumeClaims).toBe(2 * tiers.professional.postgresInstances + 1);
    for (const cluster of clusters) await accepted(cluster);
  });

  it('moves the application to the restored Cluster with the old kept, then renders it alone', async () => {
    const switched = (await render(restored, first)).objects;
    expect(ofKind(switched, 'Cluster').map((c) => c.metadata.name)).toEqual([`${id}-postgres-g2`, `${id}-postgres`]);
    expect(ofKind(switched, 'ConfigMap').find((c) => c.data?.DbOptions__Host)?.data?.DbOptions__Host).toBe(`${id}-postgres-g2-rw`);
    expect(ofKind(switched, 'ScheduledBackup')[0]!.metadata.name).toBe(`${id}-postgres-g2-backup`);
    expect(ofKind(switched, 'ScheduledBackup')[0]!.spec.cluster.name).toBe(`${id}-postgres-g2`);
    const alone = (await render(restored, null)).objects;
    expect(ofKind(alone, 'Cluster').map((c) => c.metadata.name)).toEqual([`${id}-postgres-g2`]);
  });

  it('renders a point in time as a recovery target time, from the generation before it', async () => {
    const clusters = ofKind((await render(restored, pitr)).objects, 'Cluster');
    expect(clusters[1]!.spec.bootstrap.recovery.recoveryTarget).toEqual({ targetTime: '2026-12-04T10:15:00Z' });
    expect(clusters[1]!.spec.externalClusters[0].plugin.parameters.serverName).toBe(`${id}-postgres-g2`);
    await accepted(clusters[1]!);
  });

  it('refuses a restored database on a tier without backups', () => {
    expect(() =>
      buildChartValues({
        platform: TEST_PLATFORM,
        tierName: 'free',
        tierLimits: tiers.free,
        tenant: { tenantId: id, companyName: 'Restore', expiresAt: null, databases: { serving: restored, alongside: null } },
      }),
    ).toThrow(/tier free has no backups to restore from/);
  });
});
