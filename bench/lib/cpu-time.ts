// CPU seconds spent by the processes a benchmark drives, from /proc: on a 2-core machine the
// throughput of a provisioning loop is bounded by the CPU each provision costs, wherever it is spent.
import { readFileSync, readdirSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU times in these ticks. */
const TICKS_PER_SECOND = 100;

/** utime + stime (+ cutime + cstime: children it has waited for, e.g. Helm and kubectl) in seconds; 0 when gone. */
export function cpuSecondsOf(pid: number | 'self', withChildren = true): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return ((utime ?? 0) + (stime ?? 0) + (withChildren ? (cutime ?? 0) + (cstime ?? 0) : 0)) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds of this process's children it has waited for (a bare script and what it ran), not its own. */
export const reapedChildrenSeconds = () => cpuSecondsOf('self') - cpuSecondsOf('self', false);

/** Pids whose command line mentions `text` (the sandbox's daemons all name its directory). */
export function pidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone since the listing
    }
  }
  return pids;
}

/** A CPU meter over named groups of pids: `read()` gives each group's seconds since the meter was made. */
export function cpuOf(groups: Record<string, () => number>) {
  const start = Object.fromEntries(Object.entries(groups).map(([k, f]) => [k, f()]));
  return {
    read(): Record<string, number> {
      return Object.fromEntries(Object.entries(groups).map(([k, f]) => [k, f() - start[k]!]));
    },
  };
}
