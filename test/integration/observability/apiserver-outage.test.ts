import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { down, readState, restartApiserver, up, type SandboxState } from '../../sandbox/cluster.ts';
import { stopDaemon } from '../../sandbox/processes.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { eventually } from '../../support/kube.ts';
import { testConfig } from '../../support/service-deps.ts';
import { requestProvision, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { describeSamples, healthUrl, judgeOutage, sampleHealth, SETTLE_MS } from './support/outage-probes.ts';

const OUTAGE_MS = 10_000;
const configFile = writeConfigOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('ao')));
const logDir = mkdtempSync(join(tmpdir(), 'tp-apiserver-outage-'));

// A sandbox of its own: stopping the shared API server would break every other test file. Its
// hooks come before the harness's: it is up before the worker starts and down after it stops.
let dir: string;
let sandbox: SandboxState;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-apiserver-outage-sandbox-'));
  sandbox = await up({ dir, nodes: 1 });
}, 240_000);
afterAll(async () => {
  if (dir) await down(dir);
  await rm(dir, { recursive: true, force: true });
});

const harness = useWorkerHarness({
  kubeconfig: () => sandbox.kubeconfig,
  workers: 0,
  processes: { configFile, logDir },
  config: () => testConfig({ kubeconfig: sandbox.kubeconfig, redisUrl: inject('redisUrl'), env: { CONFIG_FILE: configFile } }),
});

const cordon = (unschedulable: boolean) =>
  harness.deps.kube.core.patchNode({ name: 'kwok-node-0', body: { spec: { unschedulable } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

describe('Kubernetes API server stopped during a readiness wait', () => {
  it('stopped for 10 s: bounded logs, the metric and /readyz show the outage, the tenant converges', async () => {
    const { deps, created } = harness;
    // Pods cannot be scheduled until the node is uncordoned, so the job is certainly waiting when the API server goes.
    await cordon(true);
    const t = await requestProvision(deps, 'free', { prefix: 'ao' });
    created.push(t.tenantId);
    const worker = harness.spawnWorker('worker');
    const base = await healthUrl(worker.log);
    await eventually(
      'wait-for-api to start',
      async () => (await deps.history.read(t.jobId)).some((e) => e.type === 'progress' && e.data.message === 'wait-for-api started') || undefined,
      60_000,
    );

    const sampler = sampleHealth(base, 'kubernetes');
    let window;
    try {
      await sleep(1_000);
      const apiserver = (await readState(dir))!.daemons.find((d) => d.name === 'kube-apiserver')!;
      const start = Date.now();
      // Killed: a SIGTERM'd API server stops answering at once but takes its grace period to exit.
      await stopDaemon(apiserver, 0);
      await sleep(OUTAGE_MS - (Date.now() - start));
      // The outage ends when the restart begins; the service is judged from when the restarted API
      // server answers its /readyz (1–2 s here when the machine is quiet, 5 s and more under load:
      // a fixed allowance for it made the test fail on a busy machine while the service was fine).
      const end = Date.now();
      await restartApiserver(dir);
      window = { name: 'apiserver stopped', start, end, back: Date.now() };
      await sleep(2 * SETTLE_MS);
    } finally {
      await sampler.stop();
    }
    await cordon(false);
    expect(await waitForJob(deps.queue, t.jobId, 90_000)).toBe('completed');
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({ namespaces: 1, release: { status: 'deployed' }, api: { ready: 1 }, web: { ready: 1 } });

    const r = judgeOutage(window, sampler.samples, worker.log);
    const context = describeSamples(sampler.samples, window.start);
    console.warn(
      `${window.name} ${window.end - window.start} ms, serving again ${window.back - window.end} ms later: ${r.lines} log lines ${JSON.stringify(r.messages)}; /readyz 503 from +${r.notReadyFromMs} ms for ${r.notReadyMs} ms, 200 again ${r.readyAfterMs} ms after it was back`,
    );
    console.warn(`samples: ${context}`);
    expect(r.lines, `log lines ${JSON.stringify(r.messages)}`).toBeLessThanOrEqual(50);
    expect(r.during.length, context).toBeGreaterThan(0);
    expect(
      r.during.every((s) => s.readyz === 503 && s.up === 0),
      context,
    ).toBe(true);
    expect(r.after.length, context).toBeGreaterThan(0);
    expect(
      r.after.every((s) => s.readyz === 200 && s.up === 1),
      context,
    ).toBe(true);
    expect(r.readyAfterMs, context).toBeLessThanOrEqual(SETTLE_MS);
    expect(r.after.at(-1)?.errors ?? 0, context).toBeGreaterThan(0);
  }, 180_000);
});
