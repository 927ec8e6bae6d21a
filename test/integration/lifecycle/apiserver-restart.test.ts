import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { down, restartApiserver, up, type SandboxState } from '../../sandbox/cluster.ts';
import { FAST_LIFECYCLE, writeConfigOverride } from '../../support/config-override.ts';
import { eventually } from '../../support/kube.ts';
import { testConfig } from '../../support/service-deps.ts';
import { requestProvision, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// A sandbox of its own: restarting the shared API server would break every other test file.
describe('API server restarted during a readiness wait', () => {
  let dir: string;
  let sandbox: SandboxState;

  // The sandbox's hooks come before the harness's: it is up before the worker starts and down after it stops.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tp-apiserver-restart-'));
    sandbox = await up({ dir, nodes: 1 });
  }, 240_000);

  afterAll(async () => {
    if (dir) await down(dir);
    await rm(dir, { recursive: true, force: true });
  });

  const harness = useWorkerHarness({
    kubeconfig: () => sandbox.kubeconfig,
    config: () => testConfig({ kubeconfig: sandbox.kubeconfig, redisUrl: inject('redisUrl'), env: { CONFIG_FILE: writeConfigOverride(FAST_LIFECYCLE) } }),
  });

  const cordon = (unschedulable: boolean) =>
    harness.deps.kube.core.patchNode({ name: 'kwok-node-0', body: { spec: { unschedulable } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

  it('the job waits through the restart on its watch and completes', async () => {
    const { deps } = harness;
    // Pods cannot be scheduled until the node is uncordoned, so the job is certainly waiting when the API server goes.
    await cordon(true);
    const t = await requestProvision(deps, 'free', { prefix: 'ar' });
    await eventually(
      'wait-for-api to start',
      async () => (await deps.history.read(t.jobId)).some((e) => e.type === 'progress' && e.data.message === 'wait-for-api started') || undefined,
      60_000,
    );

    const started = Date.now();
    await restartApiserver(dir);
    const restartMs = Date.now() - started;
    await eventually('API server serving', async () => (await deps.kube.version.getCode()).gitVersion, 30_000);
    await cordon(false);

    expect(await waitForJob(deps.queue, t.jobId, 90_000)).toBe('completed');
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({ namespaces: 1, release: { status: 'deployed' }, api: { ready: 1 }, web: { ready: 1 } });
    const notes = (await deps.history.read(t.jobId)).flatMap((e) => (e.type === 'log' && e.data.step === 'wait-for-api' ? [e.data.message] : []));
    console.warn(
      `apiserver restart took ${restartMs} ms; job completed ${Date.now() - started} ms after the restart began; wait-for-api notes: ${JSON.stringify(notes)}`,
    );
  });
});
