import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChangeRejectedError, ValidationError } from '../../../src/domain/errors.ts';
import { RolloutRequest } from '../../../src/domain/rollout.ts';
import { requestUpdate } from '../../../src/lifecycle/intake.ts';
import { createRollout } from '../../../src/lifecycle/rollouts.ts';
import { sandboxBinaries } from '../../sandbox/versions.ts';
import { packageChartVersions, TENANT_CHART } from '../../support/chart-archive.ts';
import { BAD_RELEASE_WAITS, FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { databaseSnapshot, driveRollout, lifecycleDeps, provisionFreeTenants, rolloutDeps, secretSnapshot, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');

/**
 * Two other versions of the tenant chart, packaged by Helm into an archive directory as a release
 * pipeline would publish them: the same templates under the versions 7.0.0 and 7.0.1.
 */
const archiveDir = await mkdtemp(join(tmpdir(), 'chart-archive-'));
const override = mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('rc')), {
  platform: { chart: { path: TENANT_CHART, archiveDir } },
  queue: { attempts: 1, concurrency: 3 },
  timeouts: BAD_RELEASE_WAITS,
});
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(override) } });
const harness = useWorkerHarness({ kubeconfig, config, workers: 1 });

beforeAll(() => packageChartVersions(sandboxBinaries().helm, archiveDir, ['7.0.0', '7.0.1']), 60_000);
afterAll(() => rm(archiveDir, { recursive: true, force: true }));

const historyCharts = async (d: ServiceDeps, id: string) =>
  (
    await execa(sandboxBinaries().helm, ['history', `${config.platform.releasePrefix}${id}`, '-n', d.registry.namespaceOf(id), '-o', 'json'], {
      env: { KUBECONFIG: kubeconfig },
    }).then((r) => JSON.parse(r.stdout) as Array<{ chart: string }>)
  ).map((h) => h.chart);

describe('rollouts of a tenant-chart version', () => {
  let fleet: Array<{ tenantId: string; namespace: string }> = [];

  it('upgrades every tenant in place to a packaged chart version: same app, same slot and pods, Secrets and database untouched', async () => {
    const { deps } = harness;
    const provisions = await provisionFreeTenants(harness, 3, 'rc', 300_000);
    fleet = provisions.sort((a, b) => a.tenantId.localeCompare(b.tenantId));
    const pods = async (ns: string) => (await deps.kube.core.listNamespacedPod({ namespace: ns })).items.map((p) => p.metadata?.uid).sort();
    const untouched = (p: (typeof fleet)[number]) => Promise.all([secretSnapshot(deps, p.namespace), databaseSnapshot(deps, p.tenantId), pods(p.namespace)]);
    const before = await Promise.all(fleet.map(untouched));
    const app = (await deps.registry.get(fleet[0]!.tenantId))!.running!.app;

    const rollout = await createRollout(
      rolloutDeps(deps),
      RolloutRequest.parse({ target: { chartVersion: '7.0.0' }, strategy: { maxParallel: 2, bakeSeconds: 1 } }),
      'ops',
    );
    expect(rollout.waves.map((w) => w.tenantIds.length)).toEqual([1, 2]);
    expect((await driveRollout(deps, rollout.id)).at(-1)).toMatchObject({ state: 'completed', reason: 'every wave passed' });
    for (const [i, p] of fleet.entries()) {
      const record = (await deps.registry.get(p.tenantId))!;
      expect(record.running, p.tenantId).toMatchObject({ chart: { name: 'mechanicbuddy-tenant', version: '7.0.0' }, app, slot: 'blue' });
      expect(record.desired.chartVersion).toBe('7.0.0');
      expect((await historyCharts(deps, p.tenantId)).at(-1)).toBe('mechanicbuddy-tenant-7.0.0');
      expect(await untouched(p), p.tenantId).toEqual(before[i]);
    }
    // Already there: a second rollout to it has nobody to update.
    const again = await createRollout(rolloutDeps(deps), RolloutRequest.parse({ target: { chartVersion: '7.0.0' } }), 'ops');
    expect(again).toMatchObject({ state: 'completed', reason: 'no tenant to update', waves: [] });
  }, 600_000);

  it('refuses a chart version that is not packaged, for a rollout and for an update, before anything changes', async () => {
    const { deps } = harness;
    await expect(createRollout(rolloutDeps(deps), RolloutRequest.parse({ target: { chartVersion: '9.9.9' } }), 'ops')).rejects.toBeInstanceOf(ValidationError);
    const refused = requestUpdate(lifecycleDeps(deps), fleet[0]!.tenantId, { chartVersion: '9.9.9' });
    await expect(refused).rejects.toBeInstanceOf(ChangeRejectedError);
    await expect(refused).rejects.toMatchObject({ errors: [{ path: 'chartVersion', message: expect.stringContaining(archiveDir) }] });
  });

  it('a bad release with a new chart halts at the canary, which keeps serving its release on its chart; a good one switches with it', async () => {
    const { deps } = harness;
    const rollout = await createRollout(
      rolloutDeps(deps),
      RolloutRequest.parse({ target: { appVersion: 'bad', chartVersion: '7.0.1' }, strategy: { maxParallel: 2, bakeSeconds: 0 } }),
      'ops',
    );
    const canary = rollout.waves[0]!.tenantIds[0]!;
    const halted = (await driveRollout(deps, rollout.id)).at(-1)!;
    expect(halted).toMatchObject({ state: 'halted', reason: expect.stringMatching(new RegExp(`^canary ${canary} failed`)) });
    const back = (await deps.registry.get(canary))!;
    expect(back.running).toMatchObject({ chart: { version: '7.0.0' }, slot: 'blue' });
    expect(back.desired).toMatchObject({ chartVersion: '7.0.0', slot: 'blue' });
    expect(back.desired.previous).toBeUndefined();
    // Staged on 7.0.1, given up back onto 7.0.0.
    expect((await historyCharts(deps, canary)).slice(-2)).toEqual(['mechanicbuddy-tenant-7.0.1', 'mechanicbuddy-tenant-7.0.0']);

    const accepted = await requestUpdate(lifecycleDeps(deps), canary, { appVersion: 'v2', chartVersion: '7.0.1' });
    expect(await waitForJob(deps.queue, accepted.jobId, 120_000)).toBe('completed');
    const switched = (await deps.registry.get(canary))!;
    expect(switched.running).toMatchObject({ app: 'v2', chart: { version: '7.0.1' }, slot: 'green' });
    expect(switched.desired.previous).toMatchObject({ slot: 'blue', chartVersion: '7.0.0' });
  }, 300_000);
});
