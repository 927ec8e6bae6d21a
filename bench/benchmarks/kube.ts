// Item 6: Kubernetes API requests per provision (the service's own, from /metrics; Helm's are not
// counted there), worker RSS at concurrency 10, and GET /api/tenants over 1,000 tenant namespaces
// against the same label-selected pages listed straight from the API server.
import { randomBytes } from 'node:crypto';
import { createTenantStore } from '../../src/kubernetes/tenant-store.ts';
import { MANAGED_BY, TENANT_LABELS } from '../../src/domain/tenant-record.ts';
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
  rssOf,
  scrape,
  startService,
  totalOf,
  type KubeCounts,
} from '../lib/env.ts';
import { chartNodeOptions } from '../lib/chart-node-options.ts';
import { provisionViaService } from '../lib/provision.ts';
import { cpuMeter, log, machine, median, round, summary, toolVersions, writeResult, type BenchResult } from '../lib/report.ts';

const MB = 1_000_000;

export async function kube(options: { tenants?: number; listed?: number } = {}): Promise<BenchResult> {
  const tenants = options.tenants ?? Number(process.env.BENCH_KUBE_TENANTS ?? 20);
  const listed = options.listed ?? Number(process.env.BENCH_LISTED ?? 1000);
  const concurrency = 10;
  const startedAt = new Date();
  const m = machine(toolVersions(binaries()));
  const cpu = cpuMeter();
  const cluster = await benchCluster('fast');
  const redis = await benchRedis();
  const prefix = benchPrefix('k');
  const k8s = kubeFor(cluster.kubeconfig);
  const queuePrefix = `bk${randomBytes(3).toString('hex')}`;
  const config = { ...BENCH_CONFIG_BASE, platform: { namespacePrefix: prefix, releasePrefix: prefix }, queue: { concurrency } };
  const apiProcess = await startService({ mode: 'api', kubeconfig: cluster.kubeconfig, redisUrl: redis.url, queuePrefix, config });
  const workerOptions = chartNodeOptions('worker');
  /**
   * One worker through a warm-up provision, idle, then `tenants` provisions at once, 10 at a time;
   * RSS sampled every 200 ms. Run twice, alike but for NODE_OPTIONS: V8's defaults first (the
   * baseline), then what the chart gives the worker.
   */
  const workerPhase = async (nodeOptions: string) => {
    const worker = await startService({ mode: 'worker', kubeconfig: cluster.kubeconfig, redisUrl: redis.url, queuePrefix, config, nodeOptions });
    try {
      await provisionViaService(apiProcess, `kw-${randomBytes(3).toString('hex')}`); // warm-up, not counted
      await deleteNamespaces(k8s, prefix);
      await new Promise((r) => setTimeout(r, 2_000));
      const idle = median(await Promise.all([0, 1, 2].map(async (i) => (await new Promise((r) => setTimeout(r, i * 200)), rssOf(worker.pid)))));
      const [apiBefore, workerBefore] = [kubeRequestCounts(await scrape(apiProcess.metricsUrl)), kubeRequestCounts(await scrape(worker.metricsUrl))];
      const samples: number[] = [];
      const sampler = setInterval(() => void rssOf(worker.pid).then((r) => samples.push(r)), 200);
      const t0 = now();
      const runs = await Promise.allSettled(
        Array.from({ length: tenants }, (_, i) => provisionViaService(apiProcess, `kb-${i}-${randomBytes(2).toString('hex')}`)),
      );
      const makespan = now() - t0;
      clearInterval(sampler);
      const phase = {
        nodeOptions,
        idle,
        samples,
        makespan,
        failures: runs.filter((r) => r.status === 'rejected').length,
        apiCounts: diffCounts(kubeRequestCounts(await scrape(apiProcess.metricsUrl)), apiBefore),
        workerCounts: diffCounts(kubeRequestCounts(await scrape(worker.metricsUrl)), workerBefore),
      };
      log(
        `${tenants} provisions at concurrency ${concurrency}, NODE_OPTIONS '${nodeOptions}': ${round(makespan / 1000)} s, ${phase.failures} failed, worker RSS idle ${round(idle / MB)} MB, peak ${round(Math.max(...samples) / MB)} MB`,
      );
      await deleteNamespaces(k8s, prefix);
      return phase;
    } finally {
      await worker.stop();
    }
  };
  type WorkerPhase = Awaited<ReturnType<typeof workerPhase>>;
  let baseline: WorkerPhase | undefined;
  let rssSamples: number[] = [];
  let idleRss = 0;
  let counts: KubeCounts = {};
  let apiCounts: KubeCounts = {};
  let workerCounts: KubeCounts = {};
  let provisionFailures = 0;
  let provisionMakespan = 0;
  const servicePages: Record<string, number[]> = { limit50: [], limit500: [] };
  const barePages: Record<string, number[]> = { limit50: [], limit500: [] };
  let listedCount = 0;
  let createSeconds = 0;
  let deleteSeconds = 0;
  try {
    // Requests per provision and worker memory, as deployed; the same with V8's defaults beside it.
    baseline = await workerPhase('');
    ({
      samples: rssSamples,
      idle: idleRss,
      apiCounts,
      workerCounts,
      failures: provisionFailures,
      makespan: provisionMakespan,
    } = await workerPhase(workerOptions ?? ''));
    counts = diffCounts({ ...apiCounts }, {});
    for (const [key, v] of Object.entries(workerCounts)) counts[key] = (counts[key] ?? 0) + v;
    log(`${round(totalOf(counts) / tenants)} Kubernetes requests per provision`);

    // 1,000 tenant namespaces with the registry's labels and annotations, created straight through the API.
    const registry = createTenantStore(k8s.core, prefix);
    const created0 = now();
    await pool(
      Array.from({ length: listed }, (_, i) => i),
      20,
      async (i) => {
        const tenantId = `lst-${i}-${randomBytes(3).toString('hex')}`;
        await registry.create({
          tenantId,
          companyName: `Listed ${i}`,
          ownerEmail: 'bench@example.com',
          ownerName: 'Bench Mark',
          customDomain: null,
          stripeCustomerId: `cus_${i}`,
          stripeSubscriptionId: null,
          expiresAt: null,
          desired: { tier: i % 3 === 0 ? 'professional' : 'free', customDomain: null, resourceOverrides: {}, hibernated: false },
          operation: { type: 'provision', jobId: `job-${i}`, state: 'completed', at: new Date().toISOString() },
        });
      },
    );
    createSeconds = (now() - created0) / 1000;
    log(`created ${listed} tenant namespaces in ${round(createSeconds)} s`);
    const selector = `${TENANT_LABELS.managedBy}=${MANAGED_BY}`;
    const walkService = async (limit: number, into: number[]) => {
      let cursor: string | null = null;
      let n = 0;
      do {
        const t = now();
        const page: { status: number; body: { items: unknown[]; nextCursor: string | null } } = await api(
          apiProcess,
          `/api/tenants?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        into.push(now() - t);
        if (page.status !== 200) throw new Error(`GET /api/tenants: ${page.status}`);
        n += page.body.items.length;
        cursor = page.body.nextCursor;
      } while (cursor);
      return n;
    };
    const walkBare = async (limit: number, into: number[]) => {
      let token: string | undefined;
      do {
        const t = now();
        const page = await k8s.core.listNamespace({ labelSelector: selector, limit, _continue: token });
        into.push(now() - t);
        token = page.metadata?._continue || undefined;
      } while (token);
    };
    for (let pass = 0; pass < 4; pass += 1) {
      for (const [key, limit] of [
        ['limit50', 50],
        ['limit500', 500],
      ] as const) {
        // Alternate which side goes first; the first pass of each is a warm-up.
        const sTimes: number[] = [];
        const bTimes: number[] = [];
        if (pass % 2 === 0) {
          listedCount = await walkService(limit, sTimes);
          await walkBare(limit, bTimes);
        } else {
          await walkBare(limit, bTimes);
          listedCount = await walkService(limit, sTimes);
        }
        if (pass > 0) {
          servicePages[key]!.push(...sTimes);
          barePages[key]!.push(...bTimes);
        }
      }
    }
    log(`GET /api/tenants over ${listedCount} tenants: p99 ${round(summary([...servicePages.limit50!, ...servicePages.limit500!]).p99)} ms per page`);
  } finally {
    await apiProcess.stop();
    const d0 = now();
    await deleteNamespaces(k8s, prefix, 900_000).catch((e: unknown) => log(`cleanup: ${String(e)}`));
    deleteSeconds = (now() - d0) / 1000;
    await redis.stop();
    await cluster.stop();
  }
  const perProvision = totalOf(counts) / tenants;
  const peakRss = Math.max(...rssSamples);
  const allService = [...servicePages.limit50!, ...servicePages.limit500!];
  const allBare = [...barePages.limit50!, ...barePages.limit500!];
  const sp = summary(allService);
  const bp = summary(allBare);
  const perTenant = (c: KubeCounts) => Object.fromEntries(Object.entries(c).map(([key, v]) => [key, round(v / tenants, 2)]));
  const result: BenchResult = {
    benchmark: 'kube',
    title: '6. Kubernetes API requests per provision, tenant listing at 1,000, worker RSS at concurrency 10',
    startedAt: startedAt.toISOString(),
    durationSeconds: round((Date.now() - startedAt.getTime()) / 1000),
    machine: m,
    cpuBusyPercent: cpu.busyPercent(),
    parameters: {
      tenants,
      workerConcurrency: concurrency,
      listed,
      processes: 'node src/main.ts api + node src/main.ts worker',
      workerNodeOptions: workerOptions ?? null,
      tier: 'free',
      sandbox: cluster.profile,
    },
    results: {
      requestsPerProvision: round(perProvision, 1),
      requestsPerProvisionByKind: perTenant(counts),
      apiProcessPerProvision: round(totalOf(apiCounts) / tenants, 1),
      workerProcessPerProvision: round(totalOf(workerCounts) / tenants, 1),
      provisions: { makespanSeconds: round(provisionMakespan / 1000), failures: provisionFailures },
      workerRssMB: { idle: round(idleRss / MB), peak: round(peakRss / MB), p50: round(median(rssSamples) / MB), samples: rssSamples.length },
      workerV8DefaultsBaseline: baseline && {
        rssMB: { idle: round(baseline.idle / MB), peak: round(Math.max(...baseline.samples) / MB), p50: round(median(baseline.samples) / MB) },
        makespanSeconds: round(baseline.makespan / 1000),
        failures: baseline.failures,
      },
      listing: {
        tenants: listedCount,
        createSeconds: round(createSeconds),
        deleteSeconds: round(deleteSeconds),
        servicePageMs: sp,
        bareApiServerPageMs: bp,
        byLimit: {
          limit50: { service: summary(servicePages.limit50!), bare: summary(barePages.limit50!) },
          limit500: { service: summary(servicePages.limit500!), bare: summary(barePages.limit500!) },
        },
        ratioP50: round(sp.p50 / bp.p50, 2),
        ratioP99: round(sp.p99 / bp.p99, 2),
      },
    },
    targets: [
      {
        name: 'Kubernetes API requests per provision (ours, Helm excluded)',
        target: '≤ 60',
        measured: `${round(perProvision, 1)}`,
        met: perProvision <= 60 && provisionFailures === 0,
      },
      {
        name: `GET /api/tenants page p99 over ${listed} tenants`,
        target: '≤ 500 ms',
        measured: `${sp.p99} ms (limit 50 and 500; API server directly: ${bp.p99} ms)`,
        met: sp.p99 <= 500,
      },
      {
        name: 'worker RSS idle, after a first job',
        target: '≤ 150 MB',
        measured: `${round(idleRss / MB)} MB (V8 defaults: ${baseline ? round(baseline.idle / MB) : '?'} MB)`,
        met: idleRss <= 150 * MB,
      },
      {
        name: 'worker RSS at concurrency 10',
        target: '≤ 200 MB',
        measured: `${round(peakRss / MB)} MB peak (idle ${round(idleRss / MB)} MB; V8 defaults: ${baseline ? round(Math.max(...baseline.samples) / MB) : '?'} MB peak, makespan ${baseline ? round(baseline.makespan / 1000) : '?'} s against ${round(provisionMakespan / 1000)} s)`,
        met: peakRss <= 200 * MB,
        ...(peakRss <= 200 * MB
          ? {}
          : {
              why: `the idle worker already holds ${round(idleRss / MB)} MB (NODE_OPTIONS ${workerOptions ?? 'none'}; the modules it loads: importing @kubernetes/client-node alone adds ~85 MB of RSS, bullmq ~35 MB, type stripping ~27 MB); ten jobs at once add ${round((peakRss - idleRss) / MB)} MB`,
            }),
      },
    ],
    notes: [
      `Requests counted from tenant_provisioner_kubernetes_requests_total on both processes (intake in the API, the 13 steps in the worker), over ${tenants} provisions run 10 at a time.`,
      'Pages: every page of a full walk with limit=50 and with limit=500, three timed passes each (after a warm-up pass), alternating with the same walk listed straight from the API server by label selector.',
    ],
  };
  await writeResult(result);
  return result;
}
