// Item 7 (issue 13): the service at N tenants on one private sandbox. N demo tenants provisioned
// through the API (the first few measured alone), against the bare script over N others at the
// same parallelism; then one expiry and one reconcile sweep, the tenant list and a tier change for
// M of them, with Kubernetes requests, process RSS and Redis memory read at the small count and at N.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { OPERATIONS_QUEUE } from '../../src/jobs/job-catalog.ts';
import { MAINTENANCE_QUEUE } from '../../src/jobs/sweep-catalog.ts';
import type { MeasuredSweep } from '../lib/scale-figures.ts';
import { prepareBare, runBare } from '../lib/bare.ts';
import { chartNodeOptions } from '../lib/chart-node-options.ts';
import {
  BENCH_CONFIG_BASE,
  api,
  benchCluster,
  benchPrefix,
  benchRedis,
  binaries,
  deleteNamespaces,
  diffCounts,
  kubeFor,
  kubeRequestCounts,
  now,
  pool,
  provisionBody,
  rssOf,
  scrape,
  startService,
  totalOf,
  type Accepted,
} from '../lib/env.ts';
import { cpuOf, cpuSecondsOf, pidsMentioning, reapedChildrenSeconds } from '../lib/cpu-time.ts';
import { finishedCount, runSweep, waitForJobs, type SweepRun } from '../lib/queue-watch.ts';
import { REPO_DIR, cpuMeter, log, machine, median, round, summary, toolVersions, writeResult, type BenchResult, type Target } from '../lib/report.ts';
import { batchFigures, describeStage, stage, stageFigures, sumCounts, timedPool, type Batch, type Memory, type Stage } from '../lib/scale-figures.ts';
import { walkTenantPages } from '../lib/tenant-pages.ts';

const MB = 1_000_000;
/** Chosen from runs at 4, 8 and 12 on this 2-core machine (docs/benchmarks.md, item 7). */
const DEFAULT_CONCURRENCY = 8;
/** Provision requests in flight at once: intake takes ~20 ms, so this sends far faster than the worker drains. */
const INTAKE_IN_FLIGHT = 4;
const LIMITS = [50, 500] as const;
/** Flux helm-controller's published figure: 1,000 HelmReleases in 8 min 01 s. */
const FLUX_PER_SECOND = 1000 / 481;

export async function scale(): Promise<BenchResult> {
  const tenants = Number(process.env.BENCH_SCALE_TENANTS ?? 1000);
  const small = Math.min(Number(process.env.BENCH_SCALE_SMALL ?? 10), Math.floor(tenants / 2));
  const bulk = tenants - small;
  const tierChanges = Math.min(Number(process.env.BENCH_SCALE_TIER_CHANGES ?? 100), bulk);
  const concurrency = Number(process.env.BENCH_SCALE_CONCURRENCY ?? DEFAULT_CONCURRENCY);
  const startedAt = new Date();
  const commit = execFileSync('git', ['log', '-1', '--format=%h %s'], { cwd: REPO_DIR, encoding: 'utf8' }).trim().slice(0, 120);
  const m = machine(toolVersions(binaries()));
  const cpu = cpuMeter();
  const cluster = await benchCluster('fast');
  const redisServer = await benchRedis();
  const prefix = benchPrefix('s');
  const tag = randomBytes(2).toString('hex');
  const k8s = kubeFor(cluster.kubeconfig);
  const queuePrefix = `bs${randomBytes(3).toString('hex')}`;
  // Scheduled sweeps a day apart: the only sweeps in the run are the ones the bench adds.
  const config = {
    ...BENCH_CONFIG_BASE,
    platform: { namespacePrefix: prefix, releasePrefix: prefix },
    queue: { concurrency },
    provisioning: { expiry: { sweepSeconds: 86_400 }, reconcile: { sweepSeconds: 86_400 } },
  };
  const apiProcess = await startService({ mode: 'api', kubeconfig: cluster.kubeconfig, redisUrl: redisServer.url, queuePrefix, config });
  const worker = await startService({ mode: 'worker', kubeconfig: cluster.kubeconfig, redisUrl: redisServer.url, queuePrefix, config });
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  // BullMQ leaves a connection it was given open on close: the bench closes its own.
  const connections = [redis.duplicate(), redis.duplicate()];
  for (const c of connections) c.on('error', () => undefined);
  const operations = new Queue(OPERATIONS_QUEUE, { connection: connections[0]!, prefix: queuePrefix });
  const maintenance = new Queue(MAINTENANCE_QUEUE, { connection: connections[1]!, prefix: queuePrefix });

  // RSS of both processes every 500 ms, kept by phase.
  let phase = 'start';
  const rss: Record<string, { api: number[]; worker: number[] }> = {};
  const sampler = setInterval(() => {
    const into = (rss[phase] ??= { api: [], worker: [] });
    void rssOf(apiProcess.pid).then((r) => into.api.push(r));
    void rssOf(worker.pid).then((r) => into.worker.push(r));
  }, 500);
  // CPU seconds by side and phase: the service's processes (with their Helm children), the bare
  // scripts (children the bench waited for) and the sandbox's daemons (they name its directory).
  const clusterPids = pidsMentioning(dirname(cluster.kubeconfig));
  const cpuGroups = {
    worker: () => cpuSecondsOf(worker.pid),
    api: () => cpuSecondsOf(apiProcess.pid),
    bareScripts: reapedChildrenSeconds,
    cluster: () => clusterPids.reduce((sum, pid) => sum + cpuSecondsOf(pid, false), 0),
  };
  const cpuByPhase: Record<string, { tenants: number; seconds: Record<string, number> }> = {};
  const metered = async <T>(label: string, tenantCount: number, work: () => Promise<T>): Promise<T> => {
    const meter = cpuOf(cpuGroups);
    try {
      return await work();
    } finally {
      cpuByPhase[label] = { tenants: tenantCount, seconds: meter.read() };
    }
  };
  const counters = async () => [kubeRequestCounts(await scrape(apiProcess.metricsUrl)), kubeRequestCounts(await scrape(worker.metricsUrl))] as const;

  /** Sends one request per tenant (INTAKE_IN_FLIGHT at a time) and waits for every job it accepted. */
  const batch = async (ids: readonly string[], send: (id: string) => Promise<{ status: number; body: unknown }>): Promise<Batch> => {
    const finishedBefore = await finishedCount(operations);
    const [apiBefore, workerBefore] = await counters();
    const out: Batch = { tenants: ids.length, makespanMs: 0, failures: 0, rejected: 0, retried: 0, errors: [], intakeMs: [], runMs: [], requests: {} };
    const jobIds: string[] = [];
    const t0 = Date.now(); // the worker stamps jobs with Date.now(): same clock
    await pool(ids, INTAKE_IN_FLIGHT, async (id) => {
      const t = now();
      const r = await send(id).catch((e: unknown) => ({ status: 0, body: String(e) }));
      out.intakeMs.push(now() - t);
      if (r.status === 202) jobIds.push((r.body as Accepted).jobId);
      else {
        out.rejected += 1;
        out.errors.push(`${id}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    });
    const outcomes = await waitForJobs(operations, jobIds, finishedBefore, Math.max(600_000, ids.length * 5_000));
    out.makespanMs = Math.max(...outcomes.map((o) => o.finishedAt)) - t0;
    for (const o of outcomes) {
      if (o.state !== 'completed') {
        out.failures += 1;
        out.errors.push(`${o.id}: ${o.state} ${o.failedReason ?? ''}`);
      } else out.runMs.push(o.finishedAt - o.processedAt);
      if (o.attemptsMade > 1) out.retried += 1;
    }
    out.failures += out.rejected;
    const [apiAfter, workerAfter] = await counters();
    out.requests = sumCounts(diffCounts(apiAfter, apiBefore), diffCounts(workerAfter, workerBefore));
    return out;
  };
  const provision = (id: string) => api(apiProcess, '/api/provisioning/provision', { body: provisionBody(id, 'demo') });
  const toProfessional = (id: string) => api(apiProcess, `/api/provisioning/${id}`, { method: 'PUT', body: { subscriptionTier: 'professional' } });
  const settled = async (): Promise<Memory> => {
    await sleep(3_000);
    const read = async () => ({ api: await rssOf(apiProcess.pid), worker: await rssOf(worker.pid) });
    const readings = [await read(), (await sleep(300), await read()), (await sleep(300), await read())];
    const info = await redis.info('memory');
    return {
      apiRssMB: round(median(readings.map((r) => r.api)) / MB),
      workerRssMB: round(median(readings.map((r) => r.worker)) / MB),
      redisUsedMemoryMB: round(Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / MB, 2),
    };
  };
  const sweeps = async (): Promise<Record<MeasuredSweep, SweepRun>> => ({
    'expiry-sweep': await runSweep(maintenance, 'expiry-sweep', worker.metricsUrl),
    'reconcile-sweep': await runSweep(maintenance, 'reconcile-sweep', worker.metricsUrl),
  });

  const ids = (side: string, n: number) => Array.from({ length: n }, (_, i) => `s${side}-${i}-${tag}`);
  const serviceIds = ids('s', tenants);
  const bareIds = ids('b', bulk);
  let atSmall: Stage | undefined;
  let atN: Stage | undefined;
  let smallBatch: Batch | undefined;
  let serviceBulk: Batch | undefined;
  let serviceTier: Batch | undefined;
  const bareBulk = { makespanMs: 0, failures: 0, tenantMs: [] as number[], errors: [] as string[] };
  const bareTier = { makespanMs: 0, failures: 0, tenantMs: [] as number[], errors: [] as string[] };
  let bareDeleteSeconds = 0;
  let cleanupSeconds = 0;
  try {
    // The small count: provisions, sweeps, pages and memory with `small` tenants.
    phase = 'provision-small';
    smallBatch = await metered('service provision (small)', small, () => batch(serviceIds.slice(0, small), provision));
    log(`${small} provisions: ${round(smallBatch.makespanMs / 1000)} s, ${smallBatch.failures} failed`);
    atSmall = await stage(await settled(), await sweeps(), await walkTenantPages(apiProcess, k8s, LIMITS));
    log(`at ${small}: ${describeStage(atSmall)}`);

    // The bare loop over `bulk` other tenants at the worker's concurrency, then the same script with
    // the professional values over `tierChanges` of them; their namespaces go before the service's bulk.
    phase = 'bare';
    const prepared = await Promise.all(bareIds.map((id) => prepareBare(worker.config, id, 'demo')));
    await metered('bare provision', bulk, () => timedPool(prepared, concurrency, (t) => runBare(t, cluster.kubeconfig), bareBulk));
    log(`bare loop (${concurrency} in parallel): ${bulk} tenants in ${round(bareBulk.makespanMs / 1000)} s, ${bareBulk.failures} failed`);
    const source = worker.config.platform.backup.credentialsSecret!;
    const backupCredentials = (await k8s.core.readNamespacedSecret(source)).data ?? {};
    const upgraded = await Promise.all(bareIds.slice(0, tierChanges).map((id) => prepareBare(worker.config, id, 'professional', { backupCredentials })));
    await metered('bare tier change', tierChanges, () => timedPool(upgraded, concurrency, (t) => runBare(t, cluster.kubeconfig), bareTier));
    log(`bare tier change: ${tierChanges} tenants in ${round(bareTier.makespanMs / 1000)} s, ${bareTier.failures} failed`);
    const d0 = now();
    await deleteNamespaces(k8s, `${prefix}sb-`, 1_800_000);
    bareDeleteSeconds = (now() - d0) / 1000;

    // The rest of the N through the service, then everything again at N.
    phase = 'provision-bulk';
    serviceBulk = await metered('service provision', bulk, () => batch(serviceIds.slice(small), provision));
    log(`service: ${bulk} provisions in ${round(serviceBulk.makespanMs / 1000)} s, ${serviceBulk.failures} failed, ${serviceBulk.retried} retried`);
    phase = 'at-n';
    atN = await stage(await settled(), await sweeps(), await walkTenantPages(apiProcess, k8s, LIMITS));
    log(`at ${tenants}: ${describeStage(atN)}`);
    phase = 'tier-change';
    serviceTier = await metered('service tier change', tierChanges, () => batch(serviceIds.slice(small, small + tierChanges), toProfessional));
    log(`service tier change: ${tierChanges} tenants in ${round(serviceTier.makespanMs / 1000)} s, ${serviceTier.failures} failed`);
  } finally {
    clearInterval(sampler);
    await worker.stop();
    await apiProcess.stop();
    await operations.close();
    await maintenance.close();
    for (const c of [redis, ...connections]) c.disconnect();
    const d0 = now();
    await deleteNamespaces(k8s, prefix, 1_800_000).catch((e: unknown) => log(`cleanup: ${String(e)}`));
    cleanupSeconds = (now() - d0) / 1000;
    await redisServer.stop();
    await cluster.stop();
  }
  const sb = serviceBulk!;
  const ratio = sb.makespanMs / bareBulk.makespanMs;
  const throughput = bulk / (sb.makespanMs / 1000);
  const bareThroughput = bulk / (bareBulk.makespanMs / 1000);
  const peaks = Object.fromEntries(
    Object.entries(rss).map(([p, s]) => [p, { apiMB: round(Math.max(...s.api) / MB), workerMB: round(Math.max(...s.worker) / MB), samples: s.api.length }]),
  );
  const targets: Target[] = [
    {
      name: `makespan of ${bulk} provisions, service/bare loop at ${concurrency} in parallel`,
      target: '≤ 1.10',
      measured: `${round(ratio, 3)} (${round(sb.makespanMs / 1000)} s vs ${round(bareBulk.makespanMs / 1000)} s)`,
      met: ratio <= 1.1,
    },
    {
      name: 'throughput',
      target: `≥ 2.1 tenants/s (Flux helm-controller: ${round(FLUX_PER_SECOND, 2)})`,
      measured: `${round(throughput, 2)} tenants/s (bare loop ${round(bareThroughput, 2)})`,
      met: throughput >= 2.1,
    },
    {
      name: 'failures',
      target: '0',
      measured: `${sb.failures + smallBatch!.failures} (bare: ${bareBulk.failures})`,
      met: sb.failures + smallBatch!.failures === 0,
    },
    ...(['expiry-sweep', 'reconcile-sweep'] as const).map((name) => {
      const [s, n] = [atSmall!.sweeps[name], atN!.sweeps[name]];
      return {
        name: `${name} over ${tenants} tenants`,
        target: `≤ 5 s, and no more Kubernetes requests than at ${small} tenants (it acts on none here)`,
        measured: `${round(n.ms / 1000, 2)} s, ${n.requests} Kubernetes requests (at ${small}: ${round(s.ms / 1000, 2)} s, ${s.requests} requests)`,
        met: n.ms <= 5_000 && !n.failedReason && n.requests <= s.requests,
      };
    }),
    ...(['api', 'worker'] as const).map((p) => {
      const [s, n] = [atSmall!.memory[`${p}RssMB`], atN!.memory[`${p}RssMB`]];
      return {
        name: `${p} RSS at ${tenants} tenants / at ${small}`,
        target: '≤ 1.25×',
        measured: `${round(n / s, 3)}× (${n} MB vs ${s} MB)`,
        met: n <= 1.25 * s,
      };
    }),
  ];
  const result: BenchResult = {
    benchmark: 'scale',
    title: `7. ${tenants} tenants: provisioning vs a bare loop, sweeps, listing, tier changes, memory`,
    startedAt: startedAt.toISOString(),
    durationSeconds: round((Date.now() - startedAt.getTime()) / 1000),
    machine: m,
    cpuBusyPercent: cpu.busyPercent(),
    parameters: {
      tenants,
      small,
      bulk,
      tierChanges,
      workerConcurrency: concurrency,
      bareParallelism: concurrency,
      intakeInFlight: INTAKE_IN_FLIGHT,
      tier: 'demo',
      tierChange: 'demo → professional (PUT /api/provisioning/{tenantId})',
      processes: 'node src/main.ts api + node src/main.ts worker',
      workerNodeOptions: chartNodeOptions('worker') ?? null,
      sandbox: cluster.profile,
      commit,
    },
    results: {
      provision: {
        service: batchFigures(sb),
        bare: {
          tenants: bulk,
          makespanSeconds: round(bareBulk.makespanMs / 1000),
          tenantsPerSecond: round(bareThroughput, 2),
          failures: bareBulk.failures,
          tenantMs: summary(bareBulk.tenantMs),
          errors: bareBulk.errors.slice(0, 5),
        },
        makespanRatio: round(ratio, 3),
        atSmall: batchFigures(smallBatch!),
        fluxTenantsPerSecond: round(FLUX_PER_SECOND, 2),
      },
      atSmall: stageFigures(atSmall!),
      atN: stageFigures(atN!),
      tierChange: {
        service: batchFigures(serviceTier!),
        bare: {
          tenants: tierChanges,
          makespanSeconds: round(bareTier.makespanMs / 1000),
          failures: bareTier.failures,
          tenantMs: summary(bareTier.tenantMs),
          errors: bareTier.errors.slice(0, 5),
        },
        makespanRatio: round(serviceTier!.makespanMs / bareTier.makespanMs, 3),
      },
      rssPeaksByPhase: peaks,
      cpuSecondsPerTenant: Object.fromEntries(
        Object.entries(cpuByPhase).map(([label, p]) => [
          label,
          Object.fromEntries(
            [...Object.entries(p.seconds).filter(([, v]) => v > 0.005), ['total', totalOf(p.seconds)]].map(([k, v]) => [k, round(Number(v) / p.tenants, 3)]),
          ),
        ]),
      ),
      cleanup: { bareNamespacesDeleteSeconds: round(bareDeleteSeconds), allNamespacesDeleteSeconds: round(cleanupSeconds) },
    },
    targets,
    notes: [
      `Provisions: the first ${small} tenants alone, then the other ${bulk} sent ${INTAKE_IN_FLIGHT} requests at a time (the per-subject rate limit is raised by the bench override; rejections are counted as failures); makespan is the first request → the last job's finishedOn, read from Redis, not from SSE.`,
      `Bare loop: bench/baselines/bare-provision.sh for ${bulk} other tenants, ${concurrency} at a time, run after the small stage and before the service's bulk (its namespaces deleted in between), so both sides grow the cluster from ${small} tenants.`,
      'Tier change baseline: the same script with the professional values (and the backup credentials copied) over the bare tenants, while ~N of them exist. Its kubectl wait returns as soon as the Deployments are Available, which they stay during a rolling update, so it waits less than the worker does.',
      'Sweeps: one job added by name to the maintenance queue, as its scheduler does; time is the worker’s processedOn → finishedOn; requests are the worker’s counter before and after. Scheduled sweeps are a day apart in this run.',
      'CPU seconds per tenant by phase, from /proc: worker and API with the Helm processes they waited for, the bare scripts with their helm and kubectl, and the sandbox daemons (etcd, kube-apiserver, controller manager, scheduler, KWOK); on 2 cores, 2 / total is the most tenants a second the machine can give either side.',
      'Memory: RSS and Redis used_memory read 3 s after each stage settled (median of three readings); peaks by phase from 500 ms samples.',
    ],
  };
  await writeResult(result);
  return result;
}
