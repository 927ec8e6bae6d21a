import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { eventually } from '../../support/kube.ts';
import { testConfig } from '../../support/service-deps.ts';
import { requestProvision, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { holdPods, releasePods } from '../../support/pod-hold.ts';

const kubeconfig = inject('kubeconfig');
const configFile = writeConfigOverride(
  mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('sd')), { queue: { shutdown: { drainSeconds: 2, exitSeconds: 15 } } }),
);
const config = testConfig({ kubeconfig, redisUrl: inject('redisUrl'), env: { CONFIG_FILE: configFile } });
const logDir = mkdtempSync(join(tmpdir(), 'tp-shutdown-'));
// Worker processes only: each test starts and stops its own.
const harness = useWorkerHarness({ kubeconfig, config, workers: 0, processes: { configFile, logDir } });
const { created } = harness;
const worker = (name: string) => harness.spawnWorker(name);

describe('graceful shutdown of a worker process', () => {
  it('stops taking jobs, cancels the running one at the drain deadline without spending an attempt, and exits; another worker finishes it', async () => {
    const { deps } = harness;
    const first = worker('first');
    const t = await requestProvision(deps, 'free', { prefix: 'sd' });
    created.push(t.tenantId);
    // No pod may start in this namespace, so the job is certainly waiting for its API rollout when SIGTERM comes.
    await holdPods(deps.kube, t.namespace);
    await eventually(
      'wait-for-api to start',
      async () => (await deps.history.read(t.jobId)).some((e) => e.type === 'progress' && e.data.message === 'wait-for-api started') || undefined,
      60_000,
    );
    const queued = await requestProvision(deps, 'free', { prefix: 'sd' });
    created.push(queued.tenantId);

    const { code, ms } = await first.terminate();
    expect(code).toBe(0);
    // Drain deadline (2 s) plus cancellation; far inside the hard deadline (15 s).
    expect(ms).toBeLessThan(6_000);
    const job = (await deps.queue.getJob(t.jobId))!;
    expect(['delayed', 'waiting']).toContain(await job.getState());
    expect(job.attemptsMade).toBe(0);
    const interrupted = (await deps.history.read(t.jobId)).some((e) => e.type === 'log' && /interrupted at wait-for-api/.test(e.data.message));
    expect(interrupted).toBe(true);

    await releasePods(deps.kube, t.namespace);
    const second = worker('second');
    try {
      expect(await waitForJob(deps.queue, t.jobId, 60_000)).toBe('completed');
      expect(await waitForJob(deps.queue, queued.jobId, 60_000)).toBe('completed');
      expect(await tenantShape(deps, t.tenantId)).toMatchObject({ namespaces: 1, release: { status: 'deployed' }, api: { ready: 1 } });
      console.warn(
        `SIGTERM to exit: ${ms} ms (drain 2 s); the interrupted job was delayed with ${job.attemptsMade} attempts spent and completed on the next worker`,
      );
    } finally {
      await second.terminate();
    }
  });
});
