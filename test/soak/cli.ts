// `npm run soak -- --minutes N --seed S`: a seeded chaos soak on loopback (its own sandbox, Redis
// with Sentinel, 2 APIs, 3 workers). Prints the summary, writes it as JSON and exits 1 when an
// invariant broke; the same seed replays the same requests and the same faults.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runSoak } from './run-soak.ts';

const REPO = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const usage = `usage: npm run soak -- --minutes N [--seed S] [--out FILE]
  --minutes  how long requests and faults are driven (1..240); settling and checks come after
  --seed     the seed of every choice (default: a random one, printed)
  --out      where the JSON summary goes (default bench/results/soak-<N>m-seed<S>.json)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { minutes: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return console.log(usage);
  const minutes = Number(values.minutes);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 240 || !Number.isInteger(seed)) {
    console.error(usage);
    process.exitCode = 2;
    return;
  }
  // Ctrl-C or a SIGTERM ends the run and stops every process it started; a second one (a wrapper
  // forwarding it) must not kill the process before that is done, so the handlers stay.
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop.abort(new Error(`${signal}: the soak was stopped`)));
  const report = await runSoak({ minutes, seed, log: (line) => console.log(`soak: ${line}`), signal: stop.signal });
  const out = values.out ?? join(REPO, 'bench', 'results', `soak-${minutes}m-seed${seed}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify({ ...report, violations: report.violations.slice(0, 20), timeline: undefined }, null, 2));
  console.log(`soak: ${report.passed ? 'every invariant held' : `${report.violations.length} violations`}; summary in ${out}; rerun: ${report.rerun}`);
  if (!report.passed) process.exitCode = 1;
}

await main();
