import { describe, expect, it } from 'vitest';
import { RolloutRequest } from '../../../src/domain/rollout.ts';
import type { RolloutDeps } from '../../../src/lifecycle/rollouts.ts';
import { createRollout, tickRollout } from '../../../src/lifecycle/rollouts.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { testConfig } from '../api/support/config.ts';
import { FakeHelm, FakeRegistry, fakeWorkloads } from '../api/support/fake-cluster.ts';
import { FakeQueue } from '../api/support/fake-queue.ts';
import { FakeRollouts } from '../api/support/fake-rollouts.ts';
import { runningVersion } from '../api/support/running-version.ts';

// A worker killed while its tick asked for an update (after the intake recorded the tenant's
// marker, before the job was queued) leaves the rollout's tenant `updating`, its marker `queued`
// under the rollout's job id, and no job. rollout-kill met this in CI: the next worker waited for
// that job until the progress deadline.
describe('a rollout whose update was recorded but never queued', () => {
  it('asks for it again under the same job id once the lost-intent window has passed, without rewriting the rollout', async () => {
    const config = testConfig((c) => {
      c.provisioning.reconcile.lostIntentAfterSeconds = 30;
    });
    let now = new Date('2026-03-01T12:00:00.000Z');
    const registry = new FakeRegistry(config.platform.namespacePrefix);
    registry.seed('shop-a', { running: runningVersion('v1') });
    const queue = new FakeQueue();
    const rollouts = new FakeRollouts();
    const deps: RolloutDeps = {
      config,
      tenants: registry,
      producer: queue,
      rollouts,
      helm: new FakeHelm(),
      workloads: fakeWorkloads().workloads,
      logger: createLogger({ level: 'silent', pretty: false }),
      now: () => now,
    };
    const request = RolloutRequest.parse({ target: { appVersion: 'v2' }, strategy: { canary: { count: 0 } } });
    const { id } = await createRollout(deps, request, 'ops');

    await tickRollout(deps, id);
    const jobId = (await rollouts.read(id))!.rollout.tenants['shop-a']!.jobId!;
    expect(queue.jobs.has(jobId)).toBe(true);
    expect((await registry.read('shop-a'))!.tenant.operation).toMatchObject({ jobId, state: 'queued' });
    // The job as if the worker died before queueing it.
    queue.jobs.delete(jobId);
    const recorded = (await rollouts.read(id))!.resourceVersion;

    now = new Date(now.getTime() + 10_000);
    await tickRollout(deps, id);
    expect(queue.jobs.has(jobId), 'inside the window a queued job may just be waiting its turn').toBe(false);

    now = new Date(now.getTime() + 30_000);
    await tickRollout(deps, id);
    expect(queue.jobs.get(jobId)?.name).toBe('update');
    const after = (await rollouts.read(id))!;
    expect(after.resourceVersion, 'asking again writes no rollout record').toBe(recorded);
    expect(after.rollout.tenants['shop-a']).toMatchObject({ state: 'updating', jobId });
  });
});
