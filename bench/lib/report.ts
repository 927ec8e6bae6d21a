// Machine facts, statistics and result files shared by every benchmark.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = dirname(BENCH_DIR);
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** What the numbers were measured on; load average is taken when the benchmark starts. */
export type Machine = {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  loadAverageAtStart: [number, number, number];
  versions: Record<string, string>;
};

export function machine(versions: Record<string, string> = {}): Machine {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number],
    versions,
  };
}

/** Helm and kubectl versions as the binaries report them. */
export function toolVersions(binaries: { helm: string; kubectl: string }): Record<string, string> {
  const run = (file: string, args: string[]) => {
    try {
      return execFileSync(file, args, { encoding: 'utf8', timeout: 10_000 }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    helm: run(binaries.helm, ['version', '--short']),
    kubectl: run(binaries.kubectl, ['version', '--client', '-o', 'json']).match(/"gitVersion":\s*"([^"]+)"/)?.[1] ?? 'unknown',
    redis: run('redis-server', ['--version']).match(/v=([0-9.]+)/)?.[1] ?? 'unknown',
  };
}

/** Whole-machine CPU use between start() and stop(), from /proc/stat (busy share of all cores). */
export function cpuMeter() {
  const read = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { idle, total };
  };
  const start = read();
  return {
    /** Busy percentage of all cores since the meter was made. */
    busyPercent(): number {
      const end = read();
      const total = end.total - start.total;
      return total === 0 ? 0 : Math.round((1 - (end.idle - start.idle) / total) * 1000) / 10;
    },
  };
}

export const round = (n: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** Nearest-rank percentile (p in 0..100) of unsorted numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (values: readonly number[]) => {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export function summary(values: readonly number[], digits = 1) {
  return {
    n: values.length,
    min: round(Math.min(...values), digits),
    p50: round(median(values), digits),
    p90: round(percentile(values, 90), digits),
    p99: round(percentile(values, 99), digits),
    max: round(Math.max(...values), digits),
    mean: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), digits),
  };
}

/** One target: what was asked, what was measured, and whether it held. */
export type Target = { name: string; target: string; measured: string; met: boolean; why?: string };

export type BenchResult = {
  benchmark: string;
  title: string;
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  cpuBusyPercent: number;
  parameters: Record<string, unknown>;
  results: Record<string, unknown>;
  targets: Target[];
  notes: string[];
};

/** Writes `bench/results/<name>.json` (the latest run) and prints the targets. */
export async function writeResult(result: BenchResult): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.benchmark}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n== ${result.title} ==`);
  for (const t of result.targets) console.log(`  ${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.measured} (target ${t.target})${t.why ? ` — ${t.why}` : ''}`);
  for (const n of result.notes) console.log(`  note: ${n}`);
  console.log(
    `  machine: ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, load ${result.machine.loadAverageAtStart.join(' ')} at start; CPU busy ${result.cpuBusyPercent}% during the run`,
  );
  console.log(`  written to ${file}`);
  return file;
}

export function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${message}`);
}
