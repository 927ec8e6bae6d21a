import type { JobEvent, StoredJobEvent } from '../../../../src/jobs/job-events.schema.ts';
import { compareEventIds } from '../../../../src/jobs/job-history.ts';
import { FakeLeases } from '../../worker/support/fake-leases.ts';
import { redisWriteError, type Actor, type World } from './world.ts';

type Announcement = { jobId: string; id: string; type: string };

/**
 * The job history (a stream per job, ids increasing) and its pub/sub hub. Appends are Redis writes:
 * they fail while a Redis write fault is armed, and an armed pub/sub drop loses the announcement
 * (the event stays in the history; only the wake-up is lost).
 */
export function historyModel(world: World) {
  const streams = new Map<string, StoredJobEvent[]>();
  const listeners = new Map<string, Set<(a: Announcement) => void>>();
  let sequence = 0;
  const history = {
    channel: 'job-events',
    async append(jobId: string, event: JobEvent): Promise<StoredJobEvent> {
      await world.step(`history append ${jobId} ${event.type}`);
      if (world.redisWriteFails()) throw redisWriteError();
      const stored = { ...structuredClone(event), id: `${1_767_225_600_000 + ++sequence}-0`, jobId } as StoredJobEvent;
      const list = streams.get(jobId) ?? [];
      list.push(stored);
      streams.set(jobId, list);
      if (world.faults.pubsubDrops > 0) world.faults.pubsubDrops--;
      else for (const listener of [...(listeners.get(jobId) ?? [])]) listener({ jobId, id: stored.id, type: stored.type });
      return stored;
    },
    async read(jobId: string, afterId?: string): Promise<StoredJobEvent[]> {
      return (streams.get(jobId) ?? []).filter((e) => afterId === undefined || compareEventIds(e.id, afterId) > 0).map((e) => structuredClone(e));
    },
  };
  const hub = {
    subscribe(jobId: string, listener: (a: Announcement) => void) {
      const set = listeners.get(jobId) ?? new Set();
      listeners.set(jobId, set);
      set.add(listener);
      return () => void set.delete(listener);
    },
    subscriberCount: () => [...listeners.values()].reduce((n, s) => n + s.size, 0),
  };
  return { history, hub, events: (jobId: string) => streams.get(jobId) ?? [] };
}
export type HistoryModel = ReturnType<typeof historyModel>;

/**
 * The lease contract (test/unit/worker's FakeLeases) on the fake clock. A killed worker's renewals
 * are never answered (its process is gone), so its lease runs out one TTL after its last renewal.
 */
export function leasesModel(world: World, ttlMs: number) {
  const leases = new FakeLeases(ttlMs);
  Object.defineProperty(leases, 'now', { get: () => Date.now() });
  // Renewals run from timers, outside the holder's async context: the holder is found by its token.
  const holders = new Map<string, Actor>();
  const acquire = leases.acquire.bind(leases);
  const renew = leases.renew.bind(leases);
  leases.acquire = async (tenantId) => {
    const lease = await acquire(tenantId);
    if (lease) holders.set(`${tenantId}/${lease.token}`, world.actor());
    return lease;
  };
  leases.renew = async (lease) => (holders.get(`${lease.tenantId}/${lease.token}`)?.killed ? new Promise<boolean>(() => undefined) : renew(lease));
  return leases;
}
