// Lists where a V8 CPU profile (`--cpu-prof`, see BENCH_CPU_PROF_DIR in env.ts) spent its time:
// a timeline of busy time per second (where a benchmark's phases show), then self time by package
// and by function, heaviest first, optionally only between two offsets from the profile's start.
// Usage: node bench/lib/profile-top.ts <file> [rows] [from-seconds] [to-seconds]
import { readFileSync } from 'node:fs';

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** Where a script comes from: its package under node_modules, `node:` for Node's own, else the repo path. */
function originOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node:';
  const inModules = url.split('node_modules/').at(-1)!;
  if (inModules !== url) return inModules.startsWith('@') ? inModules.split('/').slice(0, 2).join('/') : inModules.split('/')[0]!;
  return url.replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/');
}

function top(totals: Map<string, number>, all: number, rows: number): string[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([name, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / all).toFixed(1).padStart(5)}%  ${name}`);
}

const [file, rowsArg, fromArg, toArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/lib/profile-top.ts <file.cpuprofile> [rows] [from-seconds] [to-seconds]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const fromUs = Number(fromArg ?? 0) * 1e6;
const toUs = toArg === undefined ? Number.POSITIVE_INFINITY : Number(toArg) * 1e6;
const byFunction = new Map<string, number>();
const byOrigin = new Map<string, number>();
const busyPerSecond: number[] = [];
let all = 0;
let at = 0;
for (const [i, id] of profile.samples.entries()) {
  const us = profile.timeDeltas[i] ?? 0;
  at += us;
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const idle = functionName === '(idle)' || functionName === '(program)';
  const second = Math.floor(at / 1e6);
  if (!idle) busyPerSecond[second] = (busyPerSecond[second] ?? 0) + us;
  if (at < fromUs || at > toUs) continue;
  all += us;
  const fn = `${functionName || '(anonymous)'} ${originOf(url)}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  const origin = url === '' ? functionName : originOf(url);
  byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + us);
}
// Busy percent of each second, ten to a line: a saturated phase reads 90s, an idle one 0s.
const timeline = Array.from({ length: Math.ceil(busyPerSecond.length / 10) }, (_, line) => {
  const cells = Array.from({ length: 10 }, (_, k) => String(Math.round((busyPerSecond[line * 10 + k] ?? 0) / 1e4)).padStart(4));
  return `${String(line * 10).padStart(5)} s ${cells.join('')}`;
});
const rows = Number(rowsArg ?? 30);
const window = toArg === undefined && fromArg === undefined ? '' : ` between ${fromArg ?? 0} s and ${toArg ?? 'the end'}`;
console.log(
  `busy % per second:\n${timeline.join('\n')}\n\n${(all / 1000).toFixed(0)} ms sampled${window}\n\nby origin:\n${top(byOrigin, all, rows).join('\n')}\n\nby function:\n${top(byFunction, all, rows).join('\n')}`,
);
