import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildChartValues } from '../../src/domain/chart-values.ts';
import type { TiersConfig } from '../../src/domain/tiers.ts';
import { kubeClients, uniqueName } from '../support/kube.ts';
import { expectClusterAccepted } from './dry-run.ts';
import { renderChart } from './helm.ts';
import { TEST_PLATFORM, loadTiers } from './tier-values.ts';

// PostgreSQL settings from the values builder through the chart to the Cluster, accepted by
// CloudNativePG's own CRD on the sandbox's API server (a strict server-side dry run).
const kube = kubeClients(inject('kubeconfig'));
const namespace = uniqueName('chart-pg-params');
let tiers: TiersConfig;

beforeAll(async () => {
  tiers = await loadTiers();
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
});
afterAll(async () => {
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

async function renderedCluster(postgresParameters?: Record<string, string>) {
  const values = buildChartValues({
    platform: TEST_PLATFORM,
    tierName: 'professional',
    tierLimits: { ...tiers.professional, postgresql: { parameters: { max_connections: '100', work_mem: '4MB' } } },
    tenant: { tenantId: 'pg-params', companyName: 'Settings', expiresAt: null, ...(postgresParameters ? { postgresParameters } : {}) },
  });
  return (await renderChart(values)).find((o) => o.kind === 'Cluster')!;
}

describe('PostgreSQL settings in the rendered Cluster', () => {
  it("renders the tier's settings under the tenant's as strings, and the CRD accepts them", async () => {
    const cluster = await renderedCluster({ work_mem: '16MB', random_page_cost: '1.1', jit: 'off' });
    expect(cluster.spec.postgresql).toEqual({
      parameters: { jit: 'off', max_connections: '100', random_page_cost: '1.1', work_mem: '16MB' },
    });
    await expectClusterAccepted(kube, namespace, cluster);
  });

  it('renders no postgresql section when neither tier nor tenant sets anything', async () => {
    const values = buildChartValues({
      platform: TEST_PLATFORM,
      tierName: 'professional',
      tierLimits: tiers.professional,
      tenant: { tenantId: 'pg-none', companyName: 'Settings', expiresAt: null },
    });
    const cluster = (await renderChart(values)).find((o) => o.kind === 'Cluster')!;
    expect(cluster.spec).not.toHaveProperty('postgresql');
  });
});
