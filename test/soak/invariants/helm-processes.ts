import { readdirSync, readFileSync } from 'node:fs';

/** One Helm process a worker runs: which mutation, of which release. */
export type HelmMutation = { pid: number; worker: number; command: string; release: string; namespace: string };

const MUTATING = new Set(['install', 'upgrade', 'rollback', 'uninstall']);

/** pid → parent pid and command name, from /proc (loopback fleet: every process is on this host). */
function processes(): Array<{ pid: number; ppid: number; comm: string; stopped: boolean }> {
  const out: Array<{ pid: number; ppid: number; comm: string; stopped: boolean }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces, so split after its closing parenthesis.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(entry), ppid: Number(ppid), comm, stopped: state === 'T' });
    } catch {
      /* the process ended while we looked */
    }
  }
  return out;
}

/**
 * The Helm children of the given worker processes that are running, each with its pid. A stopped
 * one (its worker paused with SIGSTOP) changes nothing until it is continued, when it counts again.
 */
export function helmChildren(workers: Array<{ index: number; pid: number }>): Array<{ pid: number; worker: number }> {
  const byPid = new Map(workers.map((w) => [w.pid, w.index]));
  return processes().flatMap((p) => (p.comm === 'helm' && !p.stopped && byPid.has(p.ppid) ? [{ pid: p.pid, worker: byPid.get(p.ppid)! }] : []));
}

/** The mutating Helm commands (install, upgrade, rollback, uninstall) the workers run at this instant. */
export function helmMutations(workers: Array<{ index: number; pid: number }>): HelmMutation[] {
  const out: HelmMutation[] = [];
  for (const child of helmChildren(workers)) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1);
    } catch {
      continue;
    }
    const at = args.findIndex((a) => MUTATING.has(a));
    if (at < 0) continue;
    const ns = args.indexOf('--namespace');
    // `upgrade --install <release> <chart>`: the release is the first argument after the command that is not a flag.
    const release = args.slice(at + 1).find((a) => !a.startsWith('-')) ?? '?';
    out.push({ pid: child.pid, worker: child.worker, command: args[at]!, release, namespace: ns >= 0 ? (args[ns + 1] ?? '?') : '?' });
  }
  return out;
}

/**
 * Two live Helm processes changing one release (from any workers), sampled several times a second.
 * A figure, not the one-mutator verdict: a worker thawed after SIGSTOP resumes with its Helm child
 * beside the new holder's until its deadline timer kills it, and what that child sends is refused
 * by its API fence. The verdict is the fences' forwarding windows (fence-windows.ts).
 */
export class HelmOverlapWatch {
  samples = 0;
  mutationsSeen = 0;
  readonly overlaps: string[] = [];
  private readonly seen = new Set<number>();

  sample(workers: Array<{ index: number; pid: number }>): void {
    this.samples += 1;
    const byRelease = new Map<string, HelmMutation[]>();
    for (const m of helmMutations(workers)) {
      if (!this.seen.has(m.pid)) {
        this.seen.add(m.pid);
        this.mutationsSeen += 1;
      }
      byRelease.set(`${m.namespace}/${m.release}`, [...(byRelease.get(`${m.namespace}/${m.release}`) ?? []), m]);
    }
    for (const [release, running] of byRelease) {
      if (running.length > 1)
        this.overlaps.push(`${release}: ${running.map((m) => `helm ${m.command} (pid ${m.pid}, worker-${m.worker})`).join(' and ')} at once`);
    }
  }
}
