import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceDeps } from '../../support/service-deps.ts';
import { FAILOVER_LOSS_WINDOW_MS, type Ledger } from '../ledger.ts';
import { clusterView, isPending, latestRevision } from './cluster-view.ts';
import { checkConvergence } from './convergence.ts';
import { overlappingWindows, readFenceWindows } from './fence-windows.ts';
import { HeapSampler, type MetricsTarget } from './heap-trend.ts';
import { HelmOverlapWatch } from './helm-processes.ts';
import { checkKeyTtls } from './redis-ttl.ts';
import { TenantGuard } from './tenant-guard.ts';

export type InvariantCheck = { name: string; ran: number; detail: string };
export type Watch = { guard: TenantGuard; heap: HeapSampler; helm: HelmOverlapWatch; done: Promise<void> };
export type WatchTargets = { metricsUrls: () => MetricsTarget[]; workers: () => Array<{ index: number; pid: number }> };

const VIEW_EVERY_MS = 3_000;
const HEAP_EVERY_MS = 10_000;
const HELM_EVERY_MS = 200;

/**
 * The continuous checks: the workers' Helm processes five times a second (a figure of one mutator), a view of
 * every tenant every few seconds (no loss) and each process's heap every ten. A view that fails
 * (the API server restarting) is skipped, not fatal.
 */
export function watchInvariants(deps: ServiceDeps, ledger: Ledger, signal: AbortSignal, targets: WatchTargets): Watch {
  const guard = new TenantGuard(ledger);
  const heap = new HeapSampler();
  const helm = new HelmOverlapWatch();
  const every = async (ms: number, tick: () => Promise<void>) => {
    while (!signal.aborted) {
      await tick().catch(() => undefined);
      await sleep(ms, undefined, { signal }).catch(() => undefined);
    }
  };
  const done = Promise.all([
    every(HELM_EVERY_MS, async () => helm.sample(targets.workers())),
    every(VIEW_EVERY_MS, async () => guard.observe(await clusterView(deps))),
    every(HEAP_EVERY_MS, () => heap.sample(targets.metricsUrls())),
  ]).then(() => undefined);
  return { guard, heap, helm, done };
}

/** Why the system is not at rest yet, or undefined once it is: nothing queued or running, nothing half-done in the cluster. */
async function unsettled(deps: ServiceDeps): Promise<string | undefined> {
  const counts = await deps.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  const busy = Object.entries(counts).filter(([, n]) => n > 0);
  if (busy.length > 0) return `jobs ${busy.map(([state, n]) => `${n} ${state}`).join(', ')}`;
  for (const view of (await clusterView(deps)).values()) {
    const record = view.record;
    if (!record || record.terminating) return `${view.tenantId} terminating`;
    if (record.operation && (record.operation.state === 'queued' || record.operation.state === 'active'))
      return `${view.tenantId} ${record.operation.type} ${record.operation.state}`;
    if (isPending(latestRevision(view)?.status ?? '')) return `${view.tenantId} release pending`;
    if (record.expiresAt && Date.parse(record.expiresAt) <= Date.now()) return `${view.tenantId} expired, not yet removed`;
  }
  return undefined;
}

/** Waits, up to `ms`, until the system is at rest; resolves what still moved at the deadline, if anything. */
export async function awaitSettled(deps: ServiceDeps, ms: number): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  let reason: string | undefined = 'not checked';
  while (Date.now() < deadline) {
    reason = await unsettled(deps).catch((error: unknown) => `unreadable: ${String(error)}`);
    if (reason === undefined) return undefined;
    await sleep(2_000);
  }
  return reason;
}

/**
 * The checks made once the system is at rest, each reported with what it covered. One mutator is
 * judged where a mutation happens, at the API server: the forwarding windows of the workers' API
 * fences (read from their logs in `logDir`), and Helm's own histories. Two Helm processes alive on
 * one release (the /proc sampler) are only a figure: a thawed worker's child resumes beside the
 * new holder's, and its fence refuses what it sends.
 */
export async function checkFinal(deps: ServiceDeps, ledger: Ledger, watch: Watch, logDir: string): Promise<InvariantCheck[]> {
  const views = await clusterView(deps);
  const failure = async (jobId: string) => {
    const last = (await deps.history.read(jobId)).findLast((e) => e.type === 'failed');
    return last?.type === 'failed' && last.data.message ? last.data.message : undefined;
  };
  const converged = await checkConvergence(ledger, views, failure);
  let pending = 0;
  let anotherOperation = 0;
  for (const view of views.values()) {
    const latest = latestRevision(view);
    if (latest && isPending(latest.status)) {
      pending += 1;
      ledger.violate('no-pending', `${view.tenantId}: release left ${latest.status} at revision ${latest.revision}`);
    }
    const history = await deps.helm.history(`${deps.config.platform.releasePrefix}${view.tenantId}`, view.namespace);
    for (const h of history.filter((r) => /another operation .* in progress/i.test(r.description))) {
      anotherOperation += 1;
      ledger.violate('one-mutator', `${view.tenantId}: revision ${h.revision} ${h.status}: ${h.description}`);
    }
  }
  const fences = readFenceWindows(logDir);
  const forwarding = overlappingWindows(fences);
  for (const overlap of forwarding) ledger.violate('one-mutator', overlap);
  // Every accepted backup, restore and export ended: completed, or failed saying why (its tenant hibernated or removed meanwhile).
  // A job record a Redis failover lost (its last writes not yet replicated) is judged by what Kubernetes kept.
  const backupEnds = { completed: 0, failed: 0, judgedFromCluster: 0, tenantGone: 0 };
  const endedInCluster = async (b: { tenantId: string; jobId: string }) => {
    const view = views.get(b.tenantId);
    if (!view) return 'tenant gone';
    if (b.jobId.startsWith('backup-')) {
      const name = b.jobId.slice('backup-'.length);
      const backup = (await deps.kube.custom
        .getNamespacedCustomObject({ group: 'postgresql.cnpg.io', version: 'v1', namespace: view.namespace, plural: 'backups', name })
        .catch(() => undefined)) as { status?: { phase?: string } } | undefined;
      return backup?.status?.phase === 'completed' || backup?.status?.phase === 'failed' ? backup.status.phase : 'gone';
    }
    if (b.jobId.startsWith('export-')) {
      // An export records no marker: its Kubernetes Job's verdict is what the cluster kept.
      const job = await deps.kube.batch.readNamespacedJob({ namespace: view.namespace, name: b.jobId.slice('export-'.length) }).catch(() => undefined);
      const ended = job?.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      return ended ? (ended.type === 'Complete' ? 'completed' : 'failed') : 'gone';
    }
    const marker = view.record?.operation;
    return marker?.jobId === b.jobId && (marker.state === 'completed' || marker.state === 'failed') ? marker.state : 'gone';
  };
  for (const b of [...ledger.backups.accepted, ...ledger.restores.accepted, ...ledger.exports.accepted]) {
    const job = await deps.queue.getJob(b.jobId);
    let state = job ? await job.getState() : 'gone';
    if (state === 'gone') {
      state = await endedInCluster(b);
      if (state === 'tenant gone') {
        backupEnds.tenantGone += 1;
        continue;
      }
      if (state !== 'gone') {
        backupEnds.judgedFromCluster += 1;
        if (state === 'completed') backupEnds.completed += 1;
        else backupEnds.failed += 1;
        continue;
      }
    }
    if (state === 'completed') backupEnds.completed += 1;
    else if (state === 'failed' && (await failure(b.jobId))) backupEnds.failed += 1;
    else ledger.violate('backups-ended', `job ${b.jobId} of ${b.tenantId} is ${state}${state === 'failed' ? ' without a reason' : ''}`);
  }
  const tracked = new Set(ledger.accepted.map((a) => a.tenantId));
  const orphans = [...views.keys()].filter((id) => !tracked.has(id));
  for (const id of orphans) ledger.violate('no-orphan', `namespace of ${id}, which no accepted request asked for`);
  const ttl = await checkKeyTtls(deps.redis, deps.config.queue.prefix);
  for (const key of ttl.undocumented) ledger.violate('redis-ttl', `${key} has no TTL and is not in the documented set`);
  const heap = watch.heap.verdicts();
  for (const h of heap.filter((v) => v.growing))
    ledger.violate('heap-trend', `${h.name} (pid ${h.pid}): heap floor ${h.firstFloorMb} → ${h.lastFloorMb} MB over ${h.minutes} min`);
  const sse = ledger.sse;
  return [
    {
      name: 'converged',
      ran: converged.tenants,
      detail: `${converged.converged} at their latest intent (${converged.expired} removed by expiry), ${converged.failedWithReason} failed with a reason`,
    },
    { name: 'no-loss', ran: watch.guard.views, detail: `${watch.guard.views} views of every tenant's namespace, database and Secrets` },
    {
      name: 'one-mutator',
      ran: fences.length,
      detail:
        `${fences.length} API fences closed (${fences.filter((f) => f.forwardedFrom !== undefined).length} forwarded, ` +
        `${fences.reduce((sum, f) => sum + f.refused, 0)} chunks or connections refused), ${forwarding.length} forwarding windows of two lease tokens overlapping on one tenant; ` +
        `${anotherOperation} "another operation in progress" in Helm's histories; not a violation: ${watch.helm.overlaps.length} of ${watch.helm.samples} samples ` +
        `(${watch.helm.mutationsSeen} Helm mutations seen) found two Helm processes alive at once on one release, as after a thaw, ${forwarding.length === 0 ? 'none of them forwarded beside the other' : 'see the overlaps'}`,
    },
    {
      name: 'backups-ended',
      ran: ledger.backups.accepted.length + ledger.restores.accepted.length + ledger.exports.accepted.length,
      detail:
        `${ledger.backups.accepted.length} backups, ${ledger.restores.accepted.length} restores and ${ledger.exports.accepted.length} exports ` +
        `(${ledger.exports.uploaded} dumps put at their Job's key) accepted: ${backupEnds.completed} completed, ` +
        `${backupEnds.failed} failed with a reason (${backupEnds.judgedFromCluster} of them judged from the cluster, their job record lost; ${backupEnds.tenantGone} lost with their removed tenant); refused: ${ledger.backups.refused} backups (409), ${ledger.restores.refused} restores (409/422), ${ledger.exports.refused} exports (409)`,
    },
    { name: 'no-pending', ran: views.size, detail: `${pending} releases left pending-*` },
    { name: 'no-orphan', ran: views.size, detail: `${orphans.length} namespaces no request asked for` },
    {
      name: 'sse-no-gap-or-repeat',
      ran: sse.follows,
      detail: `${sse.events} events, ${sse.resumes} resumes, ${sse.checked} follows compared with the whole stream; ${sse.lostWithFailover} events sent, then lost with a Redis failover that followed within ${FAILOVER_LOSS_WINDOW_MS / 1000} s`,
    },
    { name: 'redis-ttl', ran: ttl.keys, detail: `${ttl.persistent} keys without a TTL, ${ttl.undocumented.length} outside the documented set` },
    {
      name: 'heap-trend',
      ran: watch.heap.series.size,
      detail:
        heap.map((h) => `${h.name}/${h.pid} ${h.firstFloorMb}→${h.lastFloorMb} MB in ${h.minutes} min`).join('; ') ||
        `${watch.heap.series.size} processes sampled, none lived the 10 minutes a trend needs`,
    },
  ];
}
