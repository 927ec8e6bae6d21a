import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildChartValues } from '../../src/domain/chart-values.ts';
import type { DatabaseSpec } from '../../src/domain/database-generation.ts';
import type { TiersConfig, TierName } from '../../src/domain/tiers.ts';
import { kubeClients, uniqueName } from '../support/kube.ts';
import { expectObjectAccepted } from './dry-run.ts';
import { renderChart, type K8sObject } from './helm.ts';
import { TEST_PLATFORM, loadTiers } from './tier-values.ts';

// A clone's first database through the chart: bootstrapped by recovery from its source tenant's
// archive, read through a second ObjectStore at the source's prefix that nothing archives to and no
// retention prunes; on a tier with backups the clone archives to its own prefix. Every Cluster and
// ObjectStore is accepted by the real CRDs (a strict server-side dry run).
const kube = kubeClients(inject('kubeconfig'));
const namespace = uniqueName('chart-clone');
const id = 'cl-copy';
let tiers: TiersConfig;

beforeAll(async () => {
  tiers = await loadTiers();
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
});
afterAll(async () => {
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

const fromTemplate: DatabaseSpec = { generation: 1, recovery: { fromTenant: 'cl-template', fromGeneration: 2, target: { backupId: '20261201T020000' } } };

async function render(tierName: TierName, database: DatabaseSpec) {
  const values = buildChartValues({
    platform: { ...TEST_PLATFORM, backup: { provider: 's3', destinationPrefix: 's3://b/tenants/', endpointUrl: 'https://s3.example.com' } },
    tierName,
    tierLimits: tiers[tierName],
    tenant: { tenantId: id, companyName: 'Clone', expiresAt: null, databases: { serving: database, alongside: null } },
  });
  return { values, objects: await renderChart(values) };
}
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

describe('clone layouts in the rendered chart', () => {
  it('bootstraps the clone from its source tenant through a read-only store; a backup tier archives to its own prefix', async () => {
    const { values, objects } = await render('professional', fromTemplate);
    const [cluster, ...others] = ofKind(objects, 'Cluster');
    expect(others).toEqual([]);
    expect(cluster!.metadata.name).toBe(`${id}-postgres`);
    expect(cluster!.spec.bootstrap.recovery).toEqual({
      source: 'origin',
      database: values.postgres.database,
      owner: values.postgres.owner,
      // The clone's own password Secret: the owner's password is set from it, not copied from the source.
      secret: { name: values.secrets.database },
      recoveryTarget: { backupID: '20261201T020000' },
    });
    expect(cluster!.spec.externalClusters[0].plugin.parameters).toEqual({ barmanObjectName: `${id}-clone-source`, serverName: 'cl-template-postgres-g2' });
    expect(cluster!.spec.plugins[0].parameters).toEqual({ barmanObjectName: `${id}-object-store`, serverName: `${id}-postgres` });
    const stores = ofKind(objects, 'ObjectStore');
    expect(stores.map((s) => [s.metadata.name, s.spec.configuration.destinationPath, s.spec.retentionPolicy])).toEqual([
      [`${id}-object-store`, `s3://b/tenants/${id}`, values.backup.retentionPolicy],
      [`${id}-clone-source`, 's3://b/tenants/cl-template', undefined],
    ]);
    expect(stores[1]!.spec.configuration.s3Credentials.accessKeyId.name).toBe(`${id}-backup-credentials`);
    for (const object of [cluster!, ...stores]) await expectObjectAccepted(kube, namespace, object);
  });

  it('clones into a tier without backups: reads the source, archives nothing, and may reach the store', async () => {
    const { values, objects } = await render('demo', fromTemplate);
    const [cluster] = ofKind(objects, 'Cluster');
    expect(cluster!.spec.bootstrap.recovery.recoveryTarget).toEqual({ backupID: '20261201T020000' });
    expect(cluster!.spec.plugins).toBeUndefined();
    expect(ofKind(objects, 'ScheduledBackup')).toEqual([]);
    expect(ofKind(objects, 'ObjectStore').map((s) => s.metadata.name)).toEqual([`${id}-clone-source`]);
    expect(values.backup).toMatchObject({ enabled: false, destinationPath: null, credentialsSecret: `${id}-backup-credentials` });
    const policy = ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === `${id}-database`)!;
    expect(JSON.stringify(policy.spec.egress)).toContain('0.0.0.0/0');
    for (const object of [cluster!, ...ofKind(objects, 'ObjectStore')]) await expectObjectAccepted(kube, namespace, object);
  });

  it('renders a point in time from the source, and leaves tenants that are no clones as they were', async () => {
    const pitr: DatabaseSpec = { generation: 1, recovery: { fromTenant: 'cl-template', fromGeneration: 1, target: { targetTime: '2026-12-04T10:15:00Z' } } };
    const [cluster] = ofKind((await render('professional', pitr)).objects, 'Cluster');
    expect(cluster!.spec.bootstrap.recovery.recoveryTarget).toEqual({ targetTime: '2026-12-04T10:15:00Z' });
    expect(cluster!.spec.externalClusters[0].plugin.parameters.serverName).toBe('cl-template-postgres');
    const plain = await render('demo', { generation: 1 });
    expect(plain.values.postgres).not.toHaveProperty('clusters');
    expect(plain.values.backup).not.toHaveProperty('cloneSource');
    expect(plain.values.backup.credentialsSecret).toBeNull();
    expect(ofKind(plain.objects, 'ObjectStore')).toEqual([]);
  });
});
