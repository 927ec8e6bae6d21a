import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildChartValues, type ChartPlatformSettings } from '../../src/domain/chart-values.ts';
import type { TiersConfig } from '../../src/domain/tiers.ts';
import { kubeClients, statusOf, uniqueName } from '../support/kube.ts';
import { renderChart, type K8sObject } from './helm.ts';
import { TEST_PLATFORM, loadTiers } from './tier-values.ts';

// The backup objects of every provider, validated by the sandbox's API server against the CRDs of
// CloudNativePG and of the Barman Cloud plugin, taken from their pinned releases: a server-side dry
// run with strict field validation, so a misspelt or unknown field is an error, not a silent prune.
// Only S3 is ever installed for real (install.test.ts); GCS and Azure are checked this far.
const kube = kubeClients(inject('kubeconfig'));
const namespace = uniqueName('chart-backup-crds');
let tiers: TiersConfig;

type BackupSettings = NonNullable<ChartPlatformSettings['backup']>;
const PROVIDERS: Array<[string, BackupSettings]> = [
  ['s3', { provider: 's3', destinationPrefix: 's3://b/t', endpointUrl: 'https://s3.example.com', endpointCA: true, s3: { region: true } }],
  ['gcs', { provider: 'gcs', destinationPrefix: 'gs://b/t' }],
  ['gcs-gke', { provider: 'gcs', destinationPrefix: 'gs://b/t', gcs: { gkeEnvironment: true } }],
  ['azure-key', { provider: 'azure', destinationPrefix: 'https://acct.blob.core.windows.net/c/t', azure: { credentials: 'storageKey' } }],
  ['azure-sas', { provider: 'azure', destinationPrefix: 'https://acct.blob.core.windows.net/c/t', azure: { credentials: 'storageSasToken' } }],
  ['azure-cs', { provider: 'azure', destinationPrefix: 'https://acct.blob.core.windows.net/c/t', azure: { credentials: 'connectionString' } }],
];
const PLURALS: Record<string, string> = { Cluster: 'clusters', ScheduledBackup: 'scheduledbackups', ObjectStore: 'objectstores' };

beforeAll(async () => {
  tiers = await loadTiers();
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

/** Creates `object` in the test namespace as a dry run; resolves to the API server's refusal, if any. */
async function dryRunCreate(object: K8sObject): Promise<{ status: number | undefined; body: string } | undefined> {
  const [group = '', version = ''] = object.apiVersion.split('/');
  try {
    await kube.custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: PLURALS[object.kind]!,
      body: object,
      dryRun: 'All',
      fieldValidation: 'Strict',
    });
    return undefined;
  } catch (error) {
    return { status: statusOf(error), body: String((error as { body?: unknown }).body ?? error) };
  }
}

describe("backup objects against the real CRDs on the sandbox's API server", () => {
  it.each(PROVIDERS)('accepts the ObjectStore, Cluster and ScheduledBackup rendered for %s', async (name, backup) => {
    const values = buildChartValues({
      platform: { ...TEST_PLATFORM, backup },
      tierName: 'enterprise',
      tierLimits: tiers.enterprise,
      tenant: { tenantId: `crd-${name}`, companyName: 'CRD Check', expiresAt: null },
    });
    const objects = (await renderChart(values)).filter((o) => o.kind in PLURALS);
    expect(objects.map((o) => o.kind).sort()).toEqual(['Cluster', 'ObjectStore', 'ScheduledBackup']);
    for (const object of objects) expect(await dryRunCreate(object), `${object.kind} ${object.metadata.name}`).toBeUndefined();
  });

  it("is the plugin's own schema: a serverName in the ObjectStore is refused, as upstream's CEL rule says", async () => {
    const values = buildChartValues({
      platform: { ...TEST_PLATFORM, backup: { provider: 's3', destinationPrefix: 's3://b/t' } },
      tierName: 'professional',
      tierLimits: tiers.professional,
      tenant: { tenantId: 'crd-server-name', companyName: 'CRD Check', expiresAt: null },
    });
    const store = (await renderChart(values)).find((o) => o.kind === 'ObjectStore')!;
    const refusal = await dryRunCreate({ ...store, spec: { ...store.spec, configuration: { ...store.spec.configuration, serverName: 'x' } } });
    expect(refusal?.status).toBe(422);
    expect(refusal?.body).toContain("use the 'serverName' plugin parameter in the Cluster resource");
    const badRetention = await dryRunCreate({ ...store, spec: { ...store.spec, retentionPolicy: '30 days' } });
    expect(badRetention?.status).toBe(422);
  });
});
