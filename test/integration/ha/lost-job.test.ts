import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { TEST_JWT_SECRET, testConfig } from '../../support/service-deps.ts';
import { tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { mintToken } from '../../unit/api/support/tokens.ts';
import { startApiProcess } from '../../support/api-process.ts';
import { startSentinelTopology, type SentinelTopology } from '../../support/sentinel-topology.ts';

// Issue 12's acceptance: a request answered 202 reaches its intent across a Redis failover that lost
// its job. The replica is cut off before the request, so the job the 202 promised exists only on the
// primary that is then killed; the promoted replica never had it. The tenant's intent is in the
// cluster (its operation marker), and the reconcile sweep's lost-intent check re-queues the job
// under its id from there. Meanwhile the API answers 503, never 500, while no primary is known.
const kubeconfig = inject('kubeconfig');
const processes = { configFile: '', logDir: mkdtempSync(join(tmpdir(), 'tp-ha-lost-job-')) };
let topology: SentinelTopology | undefined;

beforeAll(async () => {
  topology = await startSentinelTopology();
  processes.configFile = writeConfigOverride(
    mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('ha')), {
      redis: { sentinels: topology.sentinels, name: topology.name },
      provisioning: { reconcile: { sweepSeconds: 1, lostIntentAfterSeconds: 2, stuckAfterSeconds: 30 } },
      // The probes ask 30 times a second.
      http: { rateLimit: { windowSeconds: 60, maxRequests: 100_000 } },
    }),
  );
});
afterAll(async () => {
  await topology?.stop();
});

// REDIS_URL empty: the config file's sentinels choose the connection (testConfig's env is the process's).
const harness = useWorkerHarness({
  kubeconfig,
  workers: 0,
  processes,
  config: () => testConfig({ kubeconfig, redisUrl: '', env: { CONFIG_FILE: processes.configFile } }),
});

let api: Awaited<ReturnType<typeof startApiProcess>> | undefined;
beforeAll(async () => {
  api = await startApiProcess({ kubeconfig, configFile: processes.configFile, prefix: harness.deps.config.queue.prefix, logDir: processes.logDir });
});
afterAll(async () => {
  await api?.stop();
});

type Sample = { at: number; job: number; intake: number; ready: number };

/** Every 100 ms: the job's status, an intake the cluster then refuses (409, no writes), and /readyz. */
function probe(baseUrl: string, token: string, jobId: string, tenantId: string) {
  const samples: Sample[] = [];
  let running = true;
  const status = (path: string, body?: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    }).then(
      async (r) => {
        await r.arrayBuffer();
        return r.status;
      },
      () => 0,
    );
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const [job, intake, ready] = await Promise.all([
        status(`/api/jobs/${jobId}`),
        status('/api/provisioning/provision', provisionBody(tenantId)),
        status('/readyz'),
      ]);
      samples.push({ at, job, intake, ready });
      await sleep(Math.max(0, 100 - (Date.now() - at)));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

const provisionBody = (tenantId: string) => ({
  companyName: 'Failover Motors',
  ownerEmail: 'owner@failover.test',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'demo',
  tenantId,
});

async function logLine(file: string, message: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!readFileSync(file, 'utf8').includes(`"msg":"${message}"`)) {
    if (Date.now() > deadline) throw new Error(`no '${message}' in ${file}`);
    await sleep(100);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a Redis failover that loses an accepted job', () => {
  it("re-queues the job from the cluster's record and a worker that lived through the failover completes it; the API answers 503, never 500, meanwhile", async () => {
    const { deps, created } = harness;
    const t = topology!;
    const token = await mintToken({}, TEST_JWT_SECRET);
    const worker = harness.spawnWorker('worker');
    await logLine(worker.log, 'worker started');
    // The worker is stopped (not killed) until the failover is over: it must not take the job
    // before it is lost, and the same process has to find the new primary afterwards.
    process.kill(-worker.pid, 'SIGSTOP');
    let prober: ReturnType<typeof probe> | undefined;
    const tenantId = `ha-${randomBytes(3).toString('hex')}`;
    let jobId = '';
    const times: Record<string, number> = {};
    try {
      const primary = await t.primaryPort();
      const replica = t.servers.find((s) => s.port !== primary)!.port;
      // Everything so far (the sweeps' schedules among it) is on the replica; nothing after the cut will be.
      await t.synced(primary);
      await t.cutReplica(replica, primary);

      created.push(tenantId);
      const accepted = await fetch(`${api!.baseUrl}/api/provisioning/provision`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(provisionBody(tenantId)),
      });
      expect(accepted.status).toBe(202);
      jobId = ((await accepted.json()) as { jobId: string }).jobId;
      // The intent is in the cluster; the job is on the primary alone.
      expect((await deps.registry.get(tenantId))?.operation).toMatchObject({ type: 'provision', jobId, state: 'queued' });
      const jobKey = `${deps.config.queue.prefix}:${OPERATIONS_QUEUE}:${jobId}`;
      expect(await t.on(primary, (r) => r.exists(jobKey))).toBe(1);
      expect(t.infoField(await t.info(primary, 'replication'), 'connected_slaves')).toBe('0');

      prober = probe(api!.baseUrl, token, jobId, tenantId);
      await sleep(500);
      times['killed'] = Date.now();
      await t.killServer(primary);
      expect(await t.waitForNewPrimary(primary)).toBe(replica);
      times['promoted'] = Date.now();
      expect(await t.on(replica, (r) => r.exists(jobKey)), 'the promoted replica never had the job').toBe(0);
      // The API finds the new primary: the intake reaches the cluster again (409: the tenant exists).
      const deadline = Date.now() + 30_000;
      while (!prober.samples.some((s) => s.at > times['promoted']! && s.intake === 409)) {
        if (Date.now() > deadline) throw new Error('the API did not recover after the failover');
        await sleep(100);
      }
      // The old primary comes back (as a restarted pod would) and rejoins as a replica: with one
      // replica, lease writes wait for it (redis.leaseReplicas defaults to 1 with sentinels).
      await t.restartServer(primary);
      times['rejoined'] = Date.now();
    } finally {
      process.kill(-worker.pid, 'SIGCONT');
    }

    expect(await waitForJob(deps.queue, jobId, 180_000)).toBe('completed');
    times['completed'] = Date.now();
    await prober!.stop();
    expect(await tenantShape(deps, tenantId)).toMatchObject({ namespaces: 1, release: { status: 'deployed' } });
    expect((await deps.registry.get(tenantId))?.operation).toMatchObject({ type: 'provision', jobId, state: 'completed' });
    expect(alive(worker.pid), 'the same worker process went on').toBe(true);
    const log = readFileSync(worker.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      log.some((l) => l['msg'] === 'reconcile sweep acted' && (l['requeued'] as string[]).includes(tenantId)),
      'the reconciler re-queued it',
    ).toBe(true);
    expect(
      log.some((l) => l['jobId'] === jobId),
      'this worker ran it',
    ).toBe(true);

    const samples = prober!.samples;
    const statuses = (pick: (s: Sample) => number) => [...new Set(samples.map(pick))].sort();
    const unavailable = samples.filter((s) => s.intake === 503);
    const window = unavailable.length === 0 ? 0 : unavailable.at(-1)!.at - unavailable[0]!.at;
    console.warn(
      `failover: primary replaced ${times['promoted']! - times['killed']!} ms after the kill; intake 503 for ${window} ms ` +
        `(${unavailable.length} of ${samples.length} samples); job ${jobId} completed ${times['completed']! - times['killed']!} ms after the kill ` +
        `(old primary back as a replica at +${times['rejoined']! - times['killed']!} ms); statuses job ${statuses((s) => s.job)} intake ${statuses((s) => s.intake)} readyz ${statuses((s) => s.ready)}`,
    );
    for (const pick of [(s: Sample) => s.job, (s: Sample) => s.intake, (s: Sample) => s.ready]) {
      expect(
        samples.filter((s) => pick(s) >= 500 && pick(s) !== 503),
        'never a 5xx other than 503',
      ).toEqual([]);
      expect(
        samples.filter((s) => pick(s) === 0),
        'every probe answered',
      ).toEqual([]);
    }
    expect(unavailable.length, 'the intake answered 503 while no primary was known').toBeGreaterThan(0);
    expect(samples.filter((s) => s.at > times['killed']! && s.at < times['promoted']! - 1_000).every((s) => s.intake === 503)).toBe(true);
    // While the job was lost, its link answered 404; once re-queued, 200 again.
    expect(samples.some((s) => s.at > times['promoted']! && s.job === 404)).toBe(true);
    expect(samples.at(-1)!.job).toBe(200);
  });
});
