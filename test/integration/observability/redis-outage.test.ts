import { mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../sandbox/ports.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { testConfig } from '../../support/service-deps.ts';
import { requestProvision, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { describeSamples, healthUrl, judgeOutage, sampleHealth, SETTLE_MS, type OutageWindow } from './support/outage-probes.ts';
import { holdPods, releasePods } from '../../support/pod-hold.ts';

const kubeconfig = inject('kubeconfig');
const configFile = writeConfigOverride(mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('ro')), { queue: { concurrency: 3 } }));
const logDir = mkdtempSync(join(tmpdir(), 'tp-redis-outage-'));
const OUTAGE_MS = 6_000;
let redis: RedisServer;
let redisDir: string;

// A Redis of this file's own, with a directory of its own so a stop keeps its data (append-only,
// fsync always); its hooks come before the harness's, so it outlives everything that uses it.
beforeAll(async () => {
  redisDir = await mkdtemp(join(tmpdir(), 'tp-redis-outage-data-'));
  redis = await startRedisServer({ dir: redisDir });
});
afterAll(async () => {
  await redis?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
});

const harness = useWorkerHarness({
  kubeconfig,
  workers: 0,
  processes: { configFile, logDir },
  config: () => testConfig({ kubeconfig, redisUrl: redis.url, env: { CONFIG_FILE: configFile } }),
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Redis's count of commands it answered with an error (READONLY, OOM, …) since it started. */
async function errorReplies(admin: Redis): Promise<number> {
  return Number(/total_error_replies:(\d+)/.exec(await admin.info('stats'))?.[1] ?? Number.NaN);
}

describe('Redis outages while a worker process runs provisions', () => {
  it('read-only for 6 s, then stopped for 6 s: bounded logs, the metric and /readyz show each outage, the tenants converge', async () => {
    const { deps, created } = harness;
    const accepted = [];
    for (let i = 0; i < 3; i++) {
      const t = await requestProvision(deps, 'free', { prefix: 'ro' });
      created.push(t.tenantId);
      // Zero pods: the API rollout waits, so every job is inside its readiness wait when Redis goes.
      await holdPods(deps.kube, t.namespace);
      accepted.push(t);
    }
    const worker = harness.spawnWorker('worker');
    const base = await healthUrl(worker.log);
    for (const t of accepted) {
      const deadline = Date.now() + 60_000;
      while (!(await deps.history.read(t.jobId)).some((e) => e.type === 'log' && e.data.step === 'wait-for-api' && /replicas ready/.test(e.data.message))) {
        if (Date.now() > deadline) throw new Error(`job ${t.jobId} never waited for its API`);
        await sleep(100);
      }
    }
    const sampler = sampleHealth(base, 'redis');
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const windows: OutageWindow[] = [];
    let refusedPerSecond = Number.NaN;
    try {
      await sleep(1_000);
      // 1. Read-only: REPLICAOF a primary that is not there, as a Sentinel failover looks to a client.
      const nowhere = await freePort();
      let start = Date.now();
      const repliesBefore = await errorReplies(admin);
      await admin.replicaof('127.0.0.1', nowhere);
      // Readiness changes during the outage, so the readiness callbacks write notes Redis refuses.
      await Promise.all(
        accepted.map((t) =>
          deps.kube.apps.replaceNamespacedDeploymentScale({
            namespace: t.namespace,
            name: `${t.tenantId}-api-blue`,
            body: { metadata: { name: `${t.tenantId}-api-blue`, namespace: t.namespace }, spec: { replicas: 2 } },
          }),
        ),
      );
      await sleep(OUTAGE_MS - (Date.now() - start));
      refusedPerSecond = ((await errorReplies(admin)) - repliesBefore) / ((Date.now() - start) / 1000);
      await admin.replicaof('NO', 'ONE');
      windows.push({ name: 'read-only', start, end: Date.now() });
      await sleep(2 * SETTLE_MS);

      // 2. Stopped: every connection is refused until it is back on the same port with the same data.
      admin.disconnect();
      start = Date.now();
      await redis.stop();
      await sleep(OUTAGE_MS - (Date.now() - start));
      redis = await startRedisServer({ port: redis.port, dir: redisDir });
      windows.push({ name: 'stopped', start, end: Date.now() });
      await sleep(2 * SETTLE_MS);
    } finally {
      admin.disconnect();
      await sampler.stop();
    }

    await Promise.all(accepted.map((t) => releasePods(deps.kube, t.namespace)));
    for (const t of accepted) {
      const state = await waitForJob(deps.queue, t.jobId, 120_000).catch(async (error: unknown) => {
        // A job that never finishes says why only in the worker's log and its own history.
        const tail = (await readFile(worker.log, 'utf8')).split('\n').slice(-60).join('\n');
        const history = (await deps.history.read(t.jobId).catch(() => [])).slice(-15).map((e) => JSON.stringify(e));
        throw new Error(`${String(error)}\njob history (last 15):\n${history.join('\n')}\nworker log (last 60 lines):\n${tail}`);
      });
      expect(state, t.tenantId).toBe('completed');
    }
    for (const t of accepted) {
      expect(await tenantShape(deps, t.tenantId), t.tenantId).toMatchObject({ namespaces: 1, release: { status: 'deployed' } });
    }
    expect(alive(worker.pid), 'the same worker process is still running').toBe(true);

    const t0 = windows[0]!.start;
    const results = windows.map((w) => ({ w, r: judgeOutage(w, sampler.samples, worker.log) }));
    for (const { w, r } of results) {
      console.warn(
        `redis ${w.name} ${w.end - w.start} ms: ${r.lines} log lines ${JSON.stringify(r.messages)}; /readyz 503 from +${r.notReadyFromMs} ms for ${r.notReadyMs} ms, 200 again ${r.readyAfterMs} ms after the end`,
      );
    }
    console.warn(`samples: ${describeSamples(sampler.samples, t0)}`);
    // Every retry of a refused write is an error reply: a worker retrying at once made thousands a second.
    console.warn(`read-only Redis: ${refusedPerSecond.toFixed(1)} error replies a second`);
    expect(refusedPerSecond).toBeLessThan(50);
    for (const { w, r } of results) {
      const context = `${w.name}: ${describeSamples([...r.during, ...r.after], w.start)}`;
      expect(r.lines, `${w.name}: log lines ${JSON.stringify(r.messages)}`).toBeLessThanOrEqual(50);
      expect(r.during.length, context).toBeGreaterThan(0);
      expect(
        r.during.every((s) => s.readyz === 503),
        context,
      ).toBe(true);
      expect(
        r.during.some((s) => s.up === 0),
        context,
      ).toBe(true);
      expect(r.after.length, context).toBeGreaterThan(0);
      expect(
        r.after.every((s) => s.readyz === 200 && s.up === 1),
        context,
      ).toBe(true);
      expect(r.readyAfterMs, context).toBeLessThanOrEqual(SETTLE_MS);
    }
    // The error counter counted both outages.
    const [first, second] = results.map(({ w }) => sampler.samples.filter((s) => s.at >= w.end + SETTLE_MS).at(0)?.errors ?? 0);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first!);
  }, 240_000);
});
