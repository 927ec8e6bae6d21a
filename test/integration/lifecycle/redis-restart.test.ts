import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { requestHibernate } from '../../../src/lifecycle/intake.ts';
import { reconcileTenants } from '../../../src/worker/sweeps/reconcile-sweep.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { testConfig } from '../../support/service-deps.ts';
import { lifecycleDeps, requestProvision, sweepDeps, tenantShape, waitForJob } from '../../support/tenants.ts';
import type { WorkerProcess } from '../../support/worker-process.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
// Two jobs run and the rest wait, so the outage catches both kinds.
const configFile = writeConfigOverride(mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('rr')), { queue: { concurrency: 2 } }));
const logDir = mkdtempSync(join(tmpdir(), 'tp-redis-restart-'));
let redis: RedisServer;
let workers: WorkerProcess[] = [];

// A Redis of this file's own (append-only, fsync always): the shared one must not be killed. Its
// hooks come before the harness's, so it starts before and stops after everything that uses it.
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const harness = useWorkerHarness({
  kubeconfig,
  workers: 0,
  processes: { configFile, logDir },
  config: () => testConfig({ kubeconfig, redisUrl: redis.url, env: { CONFIG_FILE: configFile } }),
});
const { created } = harness;

beforeAll(() => {
  workers = [harness.spawnWorker('worker-1'), harness.spawnWorker('worker-2')];
});

async function activeCount() {
  const { deps } = harness;
  return (await deps.queue.getJobCounts('active')).active ?? 0;
}

describe('Redis killed and restarted', () => {
  it('loses no accepted job, and the same worker processes resume without a restart', async () => {
    const { deps } = harness;
    const accepted = [];
    for (let i = 0; i < 5; i++) {
      const t = await requestProvision(deps, 'free', { prefix: 'rr' });
      created.push(t.tenantId);
      accepted.push(t);
    }
    const deadline = Date.now() + 30_000;
    while ((await activeCount()) === 0 && Date.now() < deadline) await sleep(20);
    const before = await deps.queue.getJobCounts('active', 'waiting', 'completed', 'delayed');

    await redis.kill();
    const downAt = Date.now();
    // Longer than the job lock and the tenant lease: both expire while Redis is away.
    await sleep(5_000);
    redis = await startRedisServer({ port: redis.port, dir: redis.dir });
    const upAt = Date.now();

    for (const t of accepted) expect(await waitForJob(deps.queue, t.jobId, 120_000), t.tenantId).toBe('completed');
    const allDoneMs = Date.now() - upAt;
    for (const t of accepted) {
      expect(await tenantShape(deps, t.tenantId), t.tenantId).toMatchObject({
        namespaces: 1,
        release: { status: 'deployed' },
        api: { ready: 1 },
        web: { ready: 1 },
      });
    }
    // Still the processes started before the outage, and they take new work.
    expect(
      workers.every((w) => {
        try {
          process.kill(w.pid, 0);
          return true;
        } catch {
          return false;
        }
      }),
    ).toBe(true);
    const after = await requestProvision(deps, 'free', { prefix: 'rr' });
    created.push(after.tenantId);
    expect(await waitForJob(deps.queue, after.jobId, 60_000)).toBe('completed');
    console.warn(
      `redis outage: ${upAt - downAt} ms down; before ${JSON.stringify(before)}; all ${accepted.length} accepted jobs completed ${allDoneMs} ms after Redis returned`,
    );
  });

  it('queues again, under the same id, an accepted operation whose job Redis lost', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'free', { prefix: 'rl' });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    // Intent recorded and 202 answered, but the job never reached Redis's disk: as if the last writes before a crash were lost.
    const lost = { ...lifecycleDeps(deps), producer: { enqueue: async (_name: string, _payload: unknown, jobId: string) => jobId } };
    const accepted = await requestHibernate(lost, t.tenantId);
    expect(await deps.queue.getJob(accepted.jobId)).toBeUndefined();
    await sleep(2_100); // lostIntentAfterSeconds in the fast configuration
    const report = await reconcileTenants(sweepDeps(deps));
    expect(report.requeued).toEqual([t.tenantId]);
    expect(await waitForJob(deps.queue, accepted.jobId)).toBe('completed');
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({ database: { hibernated: true }, api: { replicas: 0 } });
  });
});
