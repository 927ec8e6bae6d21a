// Lists where a V8 CPU profile (`--cpu-prof`, see BENCH_CPU_PROF_DIR in env.ts) spent its time:
// self time by function and by package, heaviest first. Usage: node bench/lib/profile-top.ts <file> [rows]
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

const [file, rowsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/lib/profile-top.ts <file.cpuprofile> [rows]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const byFunction = new Map<string, number>();
const byOrigin = new Map<string, number>();
let all = 0;
for (const [i, id] of profile.samples.entries()) {
  const node = byId.get(id)!;
  const us = profile.timeDeltas[i] ?? 0;
  all += us;
  const { functionName, url, lineNumber } = node.callFrame;
  const fn = `${functionName || '(anonymous)'} ${originOf(url)}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  const origin = url === '' ? functionName : originOf(url);
  byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + us);
}
const rows = Number(rowsArg ?? 30);
console.log(
  `${(all / 1000).toFixed(0)} ms sampled\n\nby origin:\n${top(byOrigin, all, rows).join('\n')}\n\nby function:\n${top(byFunction, all, rows).join('\n')}`,
);
