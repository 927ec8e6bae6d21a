// Item 3: N tenants requested at once through the service, against a bare parallel loop of the
// same script as item 1 at the same parallelism as the worker's concurrency. Makespan: first
// request → last tenant ready. Rounds alternate (service, bare, bare, service, …).
import { randomBytes } from 'node:crypto';
import { prepareBare, runBare } from '../lib/bare.ts';
import { BENCH_CONFIG_BASE, benchCluster, benchPrefix, benchRedis, binaries, deleteNamespaces, kubeFor, now, pool, rssOf, startService } from '../lib/env.ts';
import { provisionViaService } from '../lib/provision.ts';
import { cpuMeter, log, machine, median, round, summary, toolVersions, writeResult, type BenchResult } from '../lib/report.ts';

export async function concurrent(options: { tenants?: number; rounds?: number } = {}): Promise<BenchResult> {
  const tenants = options.tenants ?? Number(process.env.BENCH_TENANTS ?? 50);
  const rounds = options.rounds ?? Number(process.env.BENCH_ROUNDS ?? 2);
  const startedAt = new Date();
  const m = machine(toolVersions(binaries()));
  const cpu = cpuMeter();
  const cluster = await benchCluster('fast');
  const redis = await benchRedis();
  const prefix = benchPrefix('c');
  const kube = kubeFor(cluster.kubeconfig);
  const service = await startService({
    mode: 'all',
    kubeconfig: cluster.kubeconfig,
    redisUrl: redis.url,
    queuePrefix: `bc${randomBytes(3).toString('hex')}`,
    config: { ...BENCH_CONFIG_BASE, platform: { namespacePrefix: prefix, releasePrefix: prefix } },
  });
  const parallelism = service.config.queue.concurrency;
  const serviceMakespan: number[] = [];
  const bareMakespan: number[] = [];
  const serviceTenantMs: number[] = [];
  const bareTenantMs: number[] = [];
  let serviceFailures = 0;
  let bareFailures = 0;
  let peakRss = 0;
  const failures: string[] = [];
  try {
    const runService = async (round: number) => {
      const sampler = setInterval(() => void rssOf(service.pid).then((r) => (peakRss = Math.max(peakRss, r))), 250);
      const t0 = now();
      const results = await Promise.allSettled(
        Array.from({ length: tenants }, (_, i) => provisionViaService(service, `cs${round}-${i}-${randomBytes(2).toString('hex')}`)),
      );
      const makespan = now() - t0;
      clearInterval(sampler);
      for (const r of results) {
        if (r.status === 'fulfilled') serviceTenantMs.push(r.value.totalMs);
        else {
          serviceFailures += 1;
          failures.push(`service: ${String(r.reason)}`);
        }
      }
      serviceMakespan.push(makespan);
      log(
        `concurrent round ${round} service: ${tenants} tenants in ${round1(makespan / 1000)} s, ${results.filter((r) => r.status === 'rejected').length} failed`,
      );
    };
    const runBareLoop = async (round: number) => {
      const prepared = await Promise.all(
        Array.from({ length: tenants }, (_, i) => prepareBare(service.config, `cb${round}-${i}-${randomBytes(2).toString('hex')}`)),
      );
      const t0 = now();
      let failed = 0;
      await pool(prepared, parallelism, async (t) => {
        try {
          bareTenantMs.push(await runBare(t, cluster.kubeconfig));
        } catch (error) {
          failed += 1;
          failures.push(`bare: ${String(error)}`);
        }
      });
      const makespan = now() - t0;
      bareFailures += failed;
      bareMakespan.push(makespan);
      log(`concurrent round ${round} bare (${parallelism} in parallel): ${tenants} tenants in ${round1(makespan / 1000)} s, ${failed} failed`);
    };
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? [runService, runBareLoop] : [runBareLoop, runService];
      for (const step of order) {
        await step(round);
        await deleteNamespaces(kube, prefix, 600_000);
      }
    }
  } finally {
    await service.stop();
    await deleteNamespaces(kube, prefix, 600_000).catch((e: unknown) => log(`cleanup: ${String(e)}`));
    await redis.stop();
    await cluster.stop();
  }
  const ratio = median(serviceMakespan) / median(bareMakespan);
  const noFailures = serviceFailures === 0;
  const result: BenchResult = {
    benchmark: 'concurrent',
    title: `3. ${tenants} tenants at once: service vs a bare parallel Helm loop`,
    startedAt: startedAt.toISOString(),
    durationSeconds: round1((Date.now() - startedAt.getTime()) / 1000),
    machine: m,
    cpuBusyPercent: cpu.busyPercent(),
    parameters: { tenants, rounds, parallelism, parallelismSource: 'queue.concurrency of the default configuration', tier: 'free', sandbox: cluster.profile },
    results: {
      serviceMakespanMs: serviceMakespan.map((x) => round(x)),
      bareMakespanMs: bareMakespan.map((x) => round(x)),
      medianRatio: round(ratio, 3),
      serviceTenantMs: summary(serviceTenantMs),
      bareTenantMs: summary(bareTenantMs),
      serviceReleasesPerSecond: round(tenants / (median(serviceMakespan) / 1000), 2),
      bareReleasesPerSecond: round(tenants / (median(bareMakespan) / 1000), 2),
      serviceFailures,
      bareFailures,
      failures: failures.slice(0, 10),
      serviceProcessPeakRssMiB: round(peakRss / 2 ** 20),
    },
    targets: [
      { name: 'makespan ratio service/bare (median of rounds)', target: '≤ 1.25', measured: round(ratio, 3).toString(), met: ratio <= 1.25 },
      { name: 'failures', target: '0', measured: `${serviceFailures} (bare: ${bareFailures})`, met: noFailures },
    ],
    notes: [
      `Both sides run ${parallelism} provisions at a time (the worker's queue.concurrency); per tenant the bare side is item 1's script (kubectl apply, helm upgrade --install, two kubectl waits).`,
      'Service per-tenant times include queueing behind the other tenants (request → completed).',
    ],
  };
  await writeResult(result);
  return result;
}

const round1 = (n: number) => round(n, 1);
