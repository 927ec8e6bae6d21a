import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { RolloutRequest, type Rollout } from '../../../src/domain/rollout.ts';
import { createRollout, tickRollout } from '../../../src/lifecycle/rollouts.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { provisionFreeTenants, rolloutDeps } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
// The scheduled tick once a day (the most the configuration allows, and its first comes a whole
// period after start): within this test, every tick after the first is one the worker asked for.
const configFile = writeConfigOverride(
  mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('rp')), { provisioning: { rollouts: { tickSeconds: 86_400 } } }),
);
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: configFile } });
const harness = useWorkerHarness({
  kubeconfig,
  config,
  workers: 0,
  processes: { configFile, logDir: mkdtempSync(join(tmpdir(), 'tp-rollout-prompt-')) },
});

describe('a rollout moves on when an update finishes, not at the next scheduled tick', () => {
  it('one tick started by hand; the worker ticks after each finished update until the rollout completes', async () => {
    const { deps } = harness;
    const worker = harness.spawnWorker('w1');
    const provisions = await provisionFreeTenants(harness, 2, 'rp');

    // One at a time: the second tenant starts only on a tick after the first one's update finished.
    const request = RolloutRequest.parse({ target: { appVersion: 'v2' }, strategy: { canary: { count: 0 }, waves: ['100%'], maxParallel: 1, bakeSeconds: 0 } });
    const { id } = await createRollout(rolloutDeps(deps), request, 'ops');
    const first = await tickRollout(rolloutDeps(deps), id);
    expect(
      Object.values(first!.tenants)
        .map((t) => t.state)
        .sort(),
    ).toEqual(['updating', 'waiting']);

    let last: Rollout | undefined;
    for (const deadline = performance.now() + 120_000; performance.now() < deadline; await sleep(250)) {
      last = (await deps.rollouts.read(id))!.rollout;
      if (last.state !== 'running') break;
    }
    expect(last).toMatchObject({ state: 'completed' });
    expect(Object.values(last!.tenants).map((t) => t.state)).toEqual(['succeeded', 'succeeded']);
    for (const p of provisions) expect((await deps.registry.get(p.tenantId))!.running).toMatchObject({ app: 'v2' });
    await worker.terminate();
  }, 420_000);
});
