import { setTimeout as sleep } from 'node:timers/promises';
import { restartApiserver } from '../sandbox/cluster.ts';
import type { Fleet } from './fleet.ts';
import { helmChildren } from './invariants/helm-processes.ts';
import type { Random } from './seeded-random.ts';
import { SOAK_TIMINGS } from './soak-timings.ts';

export const FAULT_KINDS = ['kill-worker', 'kill-api', 'kill-redis-primary', 'restart-apiserver', 'kill-helm-child', 'pause-worker'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** One planned fault: when (ms after the drive started), what, and on which process slot. */
export type Fault = { atMs: number; kind: FaultKind; target: number; downMs: number };
export type InjectedFault = { kind: FaultKind; detail: string; injected: boolean; recoveredAt: number };

// Process kills dominate, as the acceptance asks (20 worker or API kills, 5 Redis primaries, 2 API
// server restarts in an hour); the expensive API server restart is the rarest.
const WEIGHTS: Record<FaultKind, number> = {
  'kill-worker': 5,
  'kill-api': 3,
  'kill-redis-primary': 2.5,
  'restart-apiserver': 1,
  'kill-helm-child': 2,
  'pause-worker': 1.5,
};
const GAP_MS: [number, number] = [35_000, 75_000];

function weighted(rng: Random): FaultKind {
  const total = FAULT_KINDS.reduce((sum, k) => sum + WEIGHTS[k], 0);
  let at = rng.next() * total;
  for (const kind of FAULT_KINDS) if ((at -= WEIGHTS[kind]) < 0) return kind;
  return 'kill-worker';
}

/**
 * The faults of a run, from the seed alone: every kind once first (in a seeded order), then kinds by
 * weight. A short run packs them closer, so even the 2-minute soak meets each kind. The last fault
 * comes no later than 85% into the drive, leaving time to see the system come back under load.
 */
export function faultSchedule(rng: Random, minutes: number): Fault[] {
  const driveMs = minutes * 60_000;
  const scale = Math.min(1, driveMs / (GAP_MS[1] * 8));
  const first = FAULT_KINDS.map((k) => ({ k, r: rng.next() }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.k);
  const faults: Fault[] = [];
  let atMs = rng.int(...GAP_MS) * scale * 0.5;
  while (atMs < driveMs * 0.85) {
    const kind = first.shift() ?? weighted(rng);
    faults.push({ atMs: Math.round(atMs), kind, target: rng.int(0, 2), downMs: rng.int(200, 3_000) });
    atMs += rng.int(...GAP_MS) * scale;
  }
  return faults;
}

/** Waits up to `ms` for any live worker to run Helm, then SIGKILLs that one child alone. */
async function killHelmChild(fleet: Fleet, rng: Random, ms: number): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const running = helmChildren(fleet.workers.flatMap((w) => (w.process ? [{ index: w.index, pid: w.process.pid }] : [])));
    if (running.length > 0) {
      const victim = rng.pick(running);
      try {
        process.kill(victim.pid, 'SIGKILL');
        return `helm pid ${victim.pid} of worker-${victim.worker}`;
      } catch {
        /* it finished first: look again */
      }
    }
    await sleep(50);
  }
  return undefined;
}

/**
 * Injects one fault and resolves once the fleet is whole again: a killed process restarted and
 * ready, a new Redis primary elected and the old one back as a replica, the API server serving.
 */
export async function injectFault(fleet: Fleet, fault: Fault, rng: Random): Promise<InjectedFault> {
  const done = (detail: string, injected = true): InjectedFault => ({ kind: fault.kind, detail, injected, recoveredAt: Date.now() });
  switch (fault.kind) {
    case 'kill-worker': {
      const index = fault.target % fleet.workers.length;
      await fleet.killWorker(index, fault.downMs);
      return done(`worker-${index}, down ${fault.downMs} ms`);
    }
    case 'kill-api': {
      const index = fault.target % fleet.apis.length;
      await fleet.killApi(index, fault.downMs);
      return done(`api-${index}, down ${fault.downMs} ms`);
    }
    case 'kill-redis-primary': {
      const t = fleet.topology;
      const old = await t.primaryPort();
      const killedAt = Date.now();
      await t.killServer(old);
      const promoted = await t.waitForNewPrimary(old, 60_000);
      const promotedAt = Date.now();
      await t.restartServer(old);
      return done(`primary ${old} killed, ${promoted} promoted in ${promotedAt - killedAt} ms; ${old} rejoined as a replica`);
    }
    case 'restart-apiserver': {
      const started = Date.now();
      await restartApiserver(fleet.sandboxDir);
      return done(`kube-apiserver restarted in ${Date.now() - started} ms`);
    }
    case 'kill-helm-child': {
      const killed = await killHelmChild(fleet, rng, 30_000);
      return killed ? done(killed) : done('no Helm child ran within 30 s', false);
    }
    case 'pause-worker': {
      const index = fault.target % fleet.workers.length;
      const worker = fleet.workers[index]!.process;
      if (!worker) return done(`worker-${index} not running`, false);
      process.kill(-worker.pid, 'SIGSTOP');
      await sleep(SOAK_TIMINGS.pauseMs);
      process.kill(-worker.pid, 'SIGCONT');
      return done(`worker-${index} stopped ${SOAK_TIMINGS.pauseMs} ms (lease TTL ${SOAK_TIMINGS.leaseTtlMs} ms)`);
    }
  }
}
