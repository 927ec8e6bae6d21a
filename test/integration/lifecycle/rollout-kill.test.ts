import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { RolloutRequest, type Rollout } from '../../../src/domain/rollout.ts';
import { createRollout } from '../../../src/lifecycle/rollouts.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { provisionFreeTenants, rolloutDeps } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
// Spawned workers run the rollout sweep on its scheduler, once a second.
const configFile = writeConfigOverride(mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('rk')), { provisioning: { rollouts: { tickSeconds: 1 } } }));
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: configFile } });
const logDir = mkdtempSync(join(tmpdir(), 'tp-rollout-kill-'));
const harness = useWorkerHarness({ kubeconfig, config, workers: 0, processes: { configFile, logDir } });

const started = performance.now();
const elapsed = () => `${Math.round(performance.now() - started)} ms`;

/** Polls the rollout until `done`; on a timeout, says what it last saw. */
async function until(d: ServiceDeps, id: string, what: string, done: (r: Rollout) => boolean, timeoutMs = 90_000): Promise<Rollout> {
  let last: Rollout | undefined;
  for (const deadline = performance.now() + timeoutMs; performance.now() < deadline; await sleep(250)) {
    last = (await d.rollouts.read(id))!.rollout;
    if (done(last)) {
      console.warn(`rollout-kill: ${what} at ${elapsed()}`);
      return last;
    }
  }
  const seen = last && { state: last.state, waveIndex: last.waveIndex, bakeUntil: last.bakeUntil, tenants: Object.values(last.tenants).map((t) => t.state) };
  // CI keeps no temp dirs: the workers' last words go into the failure itself.
  const tails = readdirSync(logDir).map(
    (f) =>
      `${f}:\n${readFileSync(join(logDir, f), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-8)
        .map((l) => l.slice(0, 400))
        .join('\n')}`,
  );
  throw new Error(`rollout ${id}: ${what} not seen within ${timeoutMs} ms; last seen ${JSON.stringify(seen)}\n${tails.join('\n')}`);
}

describe('a rollout survives kill -9 of its worker', () => {
  it('killed mid-wave and again during a bake, the next worker picks the rollout up where it was and finishes it', async () => {
    const { deps } = harness;
    let worker = harness.spawnWorker('w1');
    const provisions = await provisionFreeTenants(harness, 4, 'rk');
    console.warn(`rollout-kill: 4 tenants provisioned at ${elapsed()}`);

    const request = RolloutRequest.parse({ target: { appVersion: 'v2' }, strategy: { canary: { count: 0 }, waves: ['50%'], maxParallel: 2, bakeSeconds: 5 } });
    const { id } = await createRollout(rolloutDeps(deps), request, 'ops');
    // Mid-wave: two tenants updating.
    await until(deps, id, 'two tenants updating', (r) => Object.values(r.tenants).filter((t) => t.state === 'updating').length === 2);
    await worker.kill9();
    worker = harness.spawnWorker('w2');
    // During the bake of the first wave.
    const baking = await until(deps, id, 'the first bake', (r) => r.bakeUntil !== null && r.waveIndex === 0);
    expect(baking.state).toBe('running');
    await worker.kill9();
    worker = harness.spawnWorker('w3');
    const done = await until(deps, id, 'the end', (r) => r.state !== 'running');
    expect(done).toMatchObject({ state: 'completed', waveIndex: 2 });
    expect(Object.values(done.tenants).map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    for (const p of provisions) expect((await deps.registry.get(p.tenantId))!.running).toMatchObject({ app: 'v2', slot: 'green' });
    await worker.terminate();
    // Provisioning and each awaited stage have deadlines of their own that fail with what they saw.
  }, 480_000);
});
