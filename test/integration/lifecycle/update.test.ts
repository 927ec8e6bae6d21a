import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ChangeRejectedError } from '../../../src/domain/errors.ts';
import { requestUpdate } from '../../../src/lifecycle/intake.ts';
import { FAST_LIFECYCLE, mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import { startWorker } from '../../support/operations-worker.ts';
import { serviceDeps, testConfig } from '../../support/service-deps.ts';
import { lifecycleDeps, requestProvision, secretSnapshot, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(FAST_LIFECYCLE) } });
const harness = useWorkerHarness({ kubeconfig, config });
const { created } = harness;

/** The tenant chart plus one object the API server rejects: Helm records a failed revision. */
function brokenChart(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'tp-broken-chart-')), 'chart');
  cpSync('charts/mechanicbuddy-tenant', dir, { recursive: true });
  writeFileSync(
    join(dir, 'templates', 'zz-broken.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-broken\ndata:\n  "not a valid key!": "x"\n',
  );
  return dir;
}

function strictChart(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'tp-strict-chart-')), 'chart');
  cpSync('charts/mechanicbuddy-tenant', dir, { recursive: true });
  const file = join(dir, 'values.schema.json');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as { properties: { api: { properties: { replicas: Record<string, unknown> } } } };
  schema.properties.api.properties.replicas = { type: 'integer', minimum: 0, maximum: 2 };
  writeFileSync(file, JSON.stringify(schema));
  return dir;
}

async function provisioned(tier: 'professional' | 'free') {
  const { deps } = harness;
  const t = await requestProvision(deps, tier, { prefix: 'up' });
  created.push(t.tenantId);
  expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
  return t;
}

describe('tenant update', () => {
  it('takes a professional tenant to enterprise in place: 3 database instances, 3 API and Web replicas, no Secret changed', async () => {
    const { deps, worker } = harness;
    const t = await provisioned('professional');
    const secrets = await secretSnapshot(deps, t.namespace);
    const before = await tenantShape(deps, t.tenantId);
    expect(before).toMatchObject({ database: { instances: 1 }, api: { replicas: 2 }, web: { replicas: 2 } });

    const accepted = await requestUpdate(lifecycleDeps(deps), t.tenantId, { subscriptionTier: 'enterprise' });
    expect(await worker.finished(accepted.jobId).then((r) => r.state)).toBe('completed');

    const after = await tenantShape(deps, t.tenantId);
    expect(after).toMatchObject({
      namespaces: 1,
      release: { status: 'deployed', revision: before.release!.revision + 1 },
      database: { uid: before.database!.uid, instances: 3, readyInstances: 3, storage: '200Gi' },
      api: { replicas: 3, ready: 3 },
      web: { replicas: 3, ready: 3 },
    });
    expect(await secretSnapshot(deps, t.namespace)).toEqual(secrets);
    expect((await deps.registry.get(t.tenantId))!).toMatchObject({
      tier: 'enterprise',
      operation: { type: 'update', jobId: accepted.jobId, state: 'completed' },
    });

    // Back down to professional would shrink the 200Gi volume: refused before anything changes.
    const refused = await requestUpdate(lifecycleDeps(deps), t.tenantId, { subscriptionTier: 'professional' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChangeRejectedError);
    expect((refused as ChangeRejectedError).errors).toEqual([
      expect.objectContaining({ path: 'subscriptionTier', message: expect.stringContaining('from 200Gi to 50Gi') }),
    ]);
    const shrink = await requestUpdate(lifecycleDeps(deps), t.tenantId, { resourceOverrides: { postgresStorageSize: '100Gi' } }).catch((e: unknown) => e);
    expect((shrink as ChangeRejectedError).errors).toEqual([expect.objectContaining({ path: 'resourceOverrides.postgresStorageSize' })]);
    expect((await deps.registry.get(t.tenantId))!.desired.tier).toBe('enterprise');
  });

  it("applies a tenant's PostgreSQL settings through the converge path, and null takes one back to the default", async () => {
    const { deps, worker } = harness;
    const t = await provisioned('free');
    const uid = (await tenantShape(deps, t.tenantId)).database!.uid;
    const parameters = async () =>
      ((await deps.workloads.readDatabase(t.namespace, `${t.tenantId}-postgres`)) as { spec?: { postgresql?: { parameters?: Record<string, string> } } })?.spec
        ?.postgresql?.parameters;
    expect(await parameters()).toBeUndefined();
    const set = await requestUpdate(lifecycleDeps(deps), t.tenantId, { postgresql: { parameters: { work_mem: '8MB', statement_timeout: '30s' } } });
    expect(await worker.finished(set.jobId).then((r) => r.state)).toBe('completed');
    expect(await parameters()).toEqual({ statement_timeout: '30s', work_mem: '8MB' });
    // One removed, one kept; the database object is the same one throughout.
    const unset = await requestUpdate(lifecycleDeps(deps), t.tenantId, { postgresql: { parameters: { work_mem: null } } });
    expect(await worker.finished(unset.jobId).then((r) => r.state)).toBe('completed');
    expect(await parameters()).toEqual({ statement_timeout: '30s' });
    expect((await tenantShape(deps, t.tenantId)).database!.uid).toBe(uid);
    // One outside the allowlist and one the operator fixes are refused by name before anything changes.
    const fixed = await requestUpdate(lifecycleDeps(deps), t.tenantId, { postgresql: { parameters: { wal_level: 'minimal', port: '5433' } } }).catch(
      (e: unknown) => e,
    );
    expect((fixed as ChangeRejectedError).errors).toEqual([
      { path: 'postgresql.parameters.port', message: 'is fixed by CloudNativePG and cannot be set' },
      { path: 'postgresql.parameters.wal_level', message: expect.stringContaining('is not a parameter the platform allows') },
    ]);
  });

  it('refuses what the values builder or the chart schema rejects, with their reasons, changing nothing', async () => {
    const { deps } = harness;
    const t = await provisioned('free');
    const before = await deps.registry.get(t.tenantId);
    const builder = await requestUpdate(lifecycleDeps(deps), t.tenantId, { resourceOverrides: { apiReplicas: 0 } }).catch((e: unknown) => e);
    expect((builder as ChangeRejectedError).errors[0]).toMatchObject({ path: 'resourceOverrides.apiReplicas' });
    // A chart whose schema allows at most 2 API replicas: `helm template` against the cluster refuses 3.
    const chart = strictChart();
    const strict = { ...lifecycleDeps(deps), config: { ...config, platform: { ...config.platform, chart: { path: chart } } } };
    const schema = await requestUpdate(strict, t.tenantId, { subscriptionTier: 'enterprise' }).catch((e: unknown) => e);
    expect(schema).toBeInstanceOf(ChangeRejectedError);
    expect((schema as ChangeRejectedError).errors[0]).toMatchObject({ path: 'chart', message: expect.stringMatching(/schema/i) });
    expect(await deps.registry.get(t.tenantId)).toEqual(before);
  });

  it('rolls a broken upgrade back to the last deployed revision and leaves the database object and Secrets untouched', async () => {
    const { deps } = harness;
    const t = await provisioned('professional');
    const secrets = await secretSnapshot(deps, t.namespace);
    const before = await tenantShape(deps, t.tenantId);
    // A worker configured with a chart that fails to apply takes this update (a queue of its own).
    const base = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(mergeOverride(FAST_LIFECYCLE, { queue: { attempts: 1 } })) } });
    const brokenDeps = serviceDeps({ ...base, platform: { ...base.platform, chart: { path: brokenChart() } } }, kubeconfig);
    const brokenWorker = await startWorker(brokenDeps);
    try {
      const accepted = await requestUpdate(lifecycleDeps(brokenDeps), t.tenantId, { subscriptionTier: 'enterprise' });
      expect(await waitForJob(brokenDeps.queue, accepted.jobId)).toBe('failed');
      const failed = (await brokenDeps.history.read(accepted.jobId)).find((e) => e.type === 'failed');
      expect(failed?.data).toMatchObject({ step: 'upgrade-release' });
      const history = await deps.helm.history(t.release, t.namespace);
      expect(history.map((h) => h.status).slice(-2)).toEqual(['failed', 'deployed']);
      expect(history.at(-1)!.description).toMatch(new RegExp(`Rollback to ${before.release!.revision}`));
      expect(await tenantShape(deps, t.tenantId)).toMatchObject({
        namespaces: 1,
        release: { status: 'deployed' },
        database: { uid: before.database!.uid, instances: 1, storage: '50Gi' },
        api: { replicas: 2 },
      });
      expect(await secretSnapshot(deps, t.namespace)).toEqual(secrets);
      expect((await deps.registry.get(t.tenantId))!.operation).toMatchObject({ type: 'update', state: 'failed', step: 'upgrade-release' });
    } finally {
      await brokenWorker.close();
      await brokenDeps.close();
    }
  });
});
