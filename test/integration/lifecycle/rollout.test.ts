import { describe, expect, inject, it } from 'vitest';
import type { RolloutRequest } from '../../../src/domain/rollout.ts';
import { RolloutRequest as RolloutRequestSchema } from '../../../src/domain/rollout.ts';
import { createRollout } from '../../../src/lifecycle/rollouts.ts';
import { BAD_RELEASE_WAITS, FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { databaseSnapshot, driveRollout, requestProvision, rolloutDeps, secretSnapshot, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
// Its own namespace prefix: a rollout plans over every tenant this configuration sees.
const override = mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('ro')), {
  queue: { attempts: 1, concurrency: 5 },
  timeouts: BAD_RELEASE_WAITS,
});
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(override) } });
const harness = useWorkerHarness({ kubeconfig, config, workers: 2 });

const request = (body: object): RolloutRequest => RolloutRequestSchema.parse(body);
/** The acceptance's fleet: 60 tenants, at most 10 updating at once (two workers of concurrency 5). */
const FLEET = 60;
const MAX_PARALLEL = 10;
let fleet: string[] = [];

describe('fleet rollout', () => {
  it(`rolls v2 out to ${FLEET} tenants: the canary alone first, then waves of at most maxParallel, baked; all end on v2 with their Secrets and database untouched`, async () => {
    const { deps } = harness;
    const provisions = await Promise.all(Array.from({ length: FLEET }, () => requestProvision(deps, 'free', { prefix: 'ro' })));
    harness.created.push(...provisions.map((p) => p.tenantId));
    for (const p of provisions) expect(await waitForJob(deps.queue, p.jobId, 600_000)).toBe('completed');
    fleet = provisions.map((p) => p.tenantId).sort();
    const untouched = (p: (typeof provisions)[number]) => Promise.all([secretSnapshot(deps, p.namespace), databaseSnapshot(deps, p.tenantId)]);
    const before = await Promise.all(provisions.map(untouched));
    expect(before.every(([, db]) => db.uid && db.generation)).toBe(true);

    const rollout = await createRollout(
      rolloutDeps(deps),
      request({ target: { appVersion: 'v2' }, strategy: { waves: ['10%', '50%'], maxParallel: MAX_PARALLEL, bakeSeconds: 2 } }),
      'ops',
    );
    // One canary, then 10% and 50% of the other 59 (cumulative), then the rest.
    expect(rollout.waves.map((w) => w.tenantIds.length)).toEqual([1, 6, 24, 29]);
    const started = Date.now();
    const ticks = await driveRollout(deps, rollout.id, 900_000);
    const done = ticks.at(-1)!;
    expect(done).toMatchObject({ state: 'completed', reason: 'every wave passed' });
    expect(Object.values(done.tenants).map((t) => t.state)).toEqual(fleet.map(() => 'succeeded'));
    // Never more than maxParallel updating at once, as recorded at every tick.
    const peak = Math.max(...ticks.map((r) => Object.values(r.tenants).filter((t) => t.state === 'updating').length));
    expect(peak).toBeLessThanOrEqual(MAX_PARALLEL);
    // The canary finished and baked before anyone else started; each wave after the one before it.
    const startOf = (id: string) => Date.parse(done.tenants[id]!.startedAt!);
    const endOf = (id: string) => Date.parse(done.tenants[id]!.finishedAt!);
    for (const [i, after] of done.waves.entries()) {
      if (i === 0) continue;
      const before = done.waves[i - 1]!;
      expect(Math.min(...after.tenantIds.map(startOf)), after.name).toBeGreaterThanOrEqual(Math.max(...before.tenantIds.map(endOf)) + 2_000);
    }
    for (const [i, p] of provisions.entries()) {
      const record = (await deps.registry.get(p.tenantId))!;
      expect(record.running, p.tenantId).toMatchObject({ app: 'v2', slot: 'green' });
      expect(record.operation).toMatchObject({ state: 'completed', reason: 'rollout', jobId: `rollout-${rollout.id}-${p.tenantId}` });
      expect(await untouched(p), p.tenantId).toEqual(before[i]);
    }
    console.warn(`rollout: ${FLEET} tenants in ${done.waves.length} waves in ${Date.now() - started} ms, at most ${peak} updating at once`);
  }, 1_200_000);

  it('halts when the canary of a bad release fails: the canary keeps serving v2 with the same pods, the others are not touched', async () => {
    const { deps } = harness;
    expect(fleet).toHaveLength(FLEET);
    const ns = (id: string) => deps.registry.namespaceOf(id);
    const podsOf = async (id: string) =>
      (await deps.kube.core.listNamespacedPod({ namespace: ns(id), labelSelector: 'tenant-provisioner.io/slot=green' })).items
        .map((p) => p.metadata?.uid)
        .sort();
    const deploymentVersions = async (id: string) =>
      (await deps.kube.apps.listNamespacedDeployment({ namespace: ns(id) })).items.map((d) => `${d.metadata?.name}@${d.metadata?.resourceVersion}`).sort();
    const before = await Promise.all(fleet.map(async (id) => ({ pods: await podsOf(id), deployments: await deploymentVersions(id) })));
    const revisions = await Promise.all(fleet.map(async (id) => (await deps.helm.status(`${config.platform.releasePrefix}${id}`, ns(id)))!.revision));

    const rollout = await createRollout(
      rolloutDeps(deps),
      request({ target: { appVersion: 'bad' }, strategy: { maxParallel: 3, bakeSeconds: 0, maxFailures: 5 } }),
      'ops',
    );
    const halted = (await driveRollout(deps, rollout.id)).at(-1)!;
    const canary = rollout.waves[0]!.tenantIds[0]!;
    expect(halted).toMatchObject({ state: 'halted', reason: expect.stringMatching(new RegExp(`^canary ${canary} failed: wait-for-api`)) });
    expect(
      Object.entries(halted.tenants)
        .filter(([, t]) => t.state !== 'waiting')
        .map(([id]) => id),
    ).toEqual([canary]);
    // The canary is back on its serving release: green (v2) serves with the pods it had; blue (bad) is gone.
    const record = (await deps.registry.get(canary))!;
    expect(record.running).toMatchObject({ app: 'v2', slot: 'green' });
    expect(await podsOf(canary)).toEqual(before[fleet.indexOf(canary)]!.pods);
    // Everyone else: the same release revision and the same Deployment objects.
    for (const [i, id] of fleet.entries()) {
      if (id === canary) continue;
      expect(await deploymentVersions(id), id).toEqual(before[i]!.deployments);
      expect((await deps.helm.status(`${config.platform.releasePrefix}${id}`, ns(id)))!.revision).toBe(revisions[i]);
    }
  }, 300_000);
});
