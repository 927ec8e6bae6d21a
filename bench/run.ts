// `npm run bench` runs every benchmark; `npm run bench -- sse http` runs the named ones.
// Each prints its ratio against a baseline run beside it and writes bench/results/<name>.json.
import { log } from './lib/report.ts';
import { updateDocs } from './lib/summary.ts';

const BENCHMARKS: Record<string, { item: number; run: () => Promise<unknown> }> = {
  overhead: { item: 1, run: async () => (await import('./benchmarks/overhead.ts')).overhead() },
  readiness: { item: 2, run: async () => (await import('./benchmarks/readiness.ts')).readiness() },
  concurrent: { item: 3, run: async () => (await import('./benchmarks/concurrent.ts')).concurrent() },
  sse: { item: 4, run: async () => (await import('./benchmarks/sse.ts')).sse() },
  http: { item: 5, run: async () => (await import('./benchmarks/http.ts')).http() },
  kube: { item: 6, run: async () => (await import('./benchmarks/kube.ts')).kube() },
  scale: { item: 7, run: async () => (await import('./benchmarks/scale.ts')).scale() },
  rollout: { item: 8, run: async () => (await import('./benchmarks/rollout.ts')).rollout() },
};

const usage = `usage: npm run bench [-- <name|item>...]
  names: ${Object.entries(BENCHMARKS)
    .map(([n, b]) => `${n} (${b.item})`)
    .join(', ')}
  env: BENCH_KUBECONFIG=<file>  reuse a running sandbox for the fast-profile benchmarks (default: a private one)
       BENCH_KEEP_SANDBOX=1     leave private sandboxes running for the next run
       BENCH_RUNS, BENCH_TENANTS, BENCH_SUBSCRIBERS  sizes (see docs/benchmarks.md)
       BENCH_SCALE_TENANTS, BENCH_SCALE_TIER_CHANGES, BENCH_SCALE_CONCURRENCY  item 7 (1000, 100, 8)
       BENCH_ROLLOUT_TENANTS, BENCH_ROLLOUT_PARALLEL  item 8 (200, 10)`;

async function main(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return;
  }
  const wanted =
    args.length === 0 ? Object.keys(BENCHMARKS) : args.map((a) => Object.entries(BENCHMARKS).find(([n, b]) => n === a || String(b.item) === a)?.[0] ?? a);
  const unknown = wanted.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark: ${unknown.join(', ')}\n${usage}`);
    process.exitCode = 2;
    return;
  }
  const failed: string[] = [];
  for (const name of wanted) {
    log(`benchmark ${name}: start`);
    try {
      await BENCHMARKS[name]!.run();
    } catch (error) {
      failed.push(name);
      console.error(`benchmark ${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  await updateDocs();
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

await main(process.argv.slice(2));
