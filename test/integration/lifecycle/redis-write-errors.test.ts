import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../sandbox/ports.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { serviceDeps, testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { requestProvision, tenantShape, waitForJob } from '../../support/tenants.ts';
import { spawnWorker, type WorkerProcess } from '../../support/worker-process.ts';
import { holdPods, releasePods } from '../../support/pod-hold.ts';

const kubeconfig = inject('kubeconfig');
const configFile = writeConfigOverride(mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('rw')), { queue: { concurrency: 2 } }));
const logDir = mkdtempSync(join(tmpdir(), 'tp-redis-write-errors-'));
let redis: RedisServer;
let admin: Redis;
let deps: ServiceDeps;
let spawned = 0;
const workers: WorkerProcess[] = [];
const created: string[] = [];

beforeAll(async () => {
  // A Redis of this file's own: it is made read-only and out of memory, which the shared one must not be.
  redis = await startRedisServer();
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  deps = serviceDeps(testConfig({ kubeconfig, redisUrl: redis.url, env: { CONFIG_FILE: configFile } }), kubeconfig);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
  await Promise.all(created.map((id) => deps.registry.delete(id).catch(() => undefined)));
  await deps?.close();
  admin?.disconnect();
  await redis?.stop();
});

const alive = (w: WorkerProcess) => {
  try {
    process.kill(w.pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Polls the job's durable history until the API readiness wait has reported what it waits for. */
async function waitingForApi(jobId: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const events = await deps.history.read(jobId);
    if (events.some((e) => e.type === 'log' && e.data.step === 'wait-for-api' && /replicas ready/.test(e.data.message))) return;
    await sleep(50);
  }
  throw new Error(`job ${jobId} never waited for its API`);
}

/**
 * Provisions that wait for readiness while Redis refuses writes. A ResourceQuota of zero pods holds
 * each tenant's API rollout (its Deployment exists, its pods cannot), so the jobs sit in
 * wait-for-api; during the outage the API Deployments are scaled, so readiness changes and every
 * readiness callback writes a note that Redis refuses, as a real rollout's progress would.
 */
async function provisionsThrough(outage: { start: () => Promise<unknown>; end: () => Promise<unknown> }) {
  const accepted = [];
  for (let i = 0; i < 2; i++) {
    const t = await requestProvision(deps, 'free', { prefix: 'rw' });
    created.push(t.tenantId);
    await holdPods(deps.kube, t.namespace);
    accepted.push(t);
  }
  // Started after the quotas exist, so no pod of these tenants can slip in before them.
  const own = [1, 2].map(() =>
    spawnWorker({ kubeconfig, redisUrl: redis.url, prefix: deps.config.queue.prefix, configFile, logDir, name: `worker-${++spawned}` }),
  );
  workers.push(...own);
  let outageOn = false;
  try {
    for (const t of accepted) await waitingForApi(t.jobId);

    await outage.start();
    outageOn = true;
    const startedAt = Date.now();
    await Promise.all(
      accepted.map((t) =>
        deps.kube.apps.replaceNamespacedDeploymentScale({
          namespace: t.namespace,
          name: `${t.tenantId}-api-blue`,
          body: { metadata: { name: `${t.tenantId}-api-blue`, namespace: t.namespace }, spec: { replicas: 2 } },
        }),
      ),
    );
    await sleep(6_000 - (Date.now() - startedAt));
    await outage.end();
    outageOn = false;
    const endedAt = Date.now();
    await Promise.all(accepted.map((t) => releasePods(deps.kube, t.namespace)));

    for (const t of accepted) expect(await waitForJob(deps.queue, t.jobId, 120_000), t.tenantId).toBe('completed');
    const doneMs = Date.now() - endedAt;
    // The same processes, never restarted.
    expect(own.map(alive)).toEqual([true, true]);
    for (const t of accepted) {
      expect(await tenantShape(deps, t.tenantId), t.tenantId).toMatchObject({ namespaces: 1, release: { status: 'deployed' } });
    }
    const logs = own.map((w) => readFileSync(w.log, 'utf8')).join('\n');
    return { doneMs, refusedNotes: logs.split('\n').filter((l) => l.includes('in the job history; carrying on')).length };
  } finally {
    // The next case gets workers of its own and a Redis that takes writes, so what happens there is its outage's doing.
    if (outageOn) await outage.end();
    await Promise.all(own.map((w) => w.terminate()));
  }
}

describe.sequential('Redis refuses writes while provisions wait for readiness', () => {
  it('read-only (REPLICAOF a master that is not there): the workers stay up, the jobs complete once Redis accepts writes, no tenant is removed', async () => {
    const nowhere = await freePort();
    const { doneMs, refusedNotes } = await provisionsThrough({
      start: () => admin.replicaof('127.0.0.1', nowhere),
      end: () => admin.replicaof('NO', 'ONE'),
    });
    // The outage did reach the readiness callbacks: their notes were refused, logged, and survived.
    expect(refusedNotes).toBeGreaterThan(0);
    console.warn(`read-only Redis for 6 s: ${refusedNotes} notes refused; jobs completed ${doneMs} ms after writes were accepted again`);
  });

  it('out of memory (maxmemory 1, noeviction): the workers stay up, the jobs complete once Redis accepts writes, no tenant is removed', async () => {
    const { doneMs, refusedNotes } = await provisionsThrough({
      start: () => admin.config('SET', 'maxmemory', '1'),
      end: () => admin.config('SET', 'maxmemory', '0'),
    });
    expect(refusedNotes).toBeGreaterThan(0);
    console.warn(`out-of-memory Redis for 6 s: ${refusedNotes} notes refused; jobs completed ${doneMs} ms after writes were accepted again`);
  });
});
