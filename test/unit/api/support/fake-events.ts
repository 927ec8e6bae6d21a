import type { JobEventHub } from '../../../../src/jobs/job-event-hub.ts';
import type { JobEvent, StoredJobEvent } from '../../../../src/jobs/job-events.schema.ts';
import { compareEventIds, type JobHistory } from '../../../../src/jobs/job-history.ts';

type Listener = (event: StoredJobEvent) => void;

/**
 * A per-job history with stream-like ids and a hub that announces each append, as the Redis
 * implementation does. `append` can be told not to announce (a pub/sub message lost in a reconnect),
 * and `onRead` runs before each history read returns, to interleave appends with a reader.
 */
export function fakeJobEvents() {
  const streams = new Map<string, StoredJobEvent[]>();
  const listeners = new Map<string, Set<Listener>>();
  let clock = 1_767_225_600_000;
  let subscribers = 0;
  const hooks: { onRead?: (jobId: string) => void | Promise<void> } = {};

  const append = (jobId: string, event: JobEvent, options: { announce?: boolean } = {}): StoredJobEvent => {
    const stored: StoredJobEvent = { ...event, id: `${(clock += 1)}-0`, jobId };
    const list = streams.get(jobId) ?? [];
    list.push(stored);
    streams.set(jobId, list);
    if (options.announce !== false) for (const listener of listeners.get(jobId) ?? []) listener(stored);
    return stored;
  };

  const history: Pick<JobHistory, 'read'> = {
    async read(jobId, afterId) {
      const events = (streams.get(jobId) ?? []).filter((e) => afterId === undefined || compareEventIds(e.id, afterId) > 0);
      await hooks.onRead?.(jobId);
      return events.map((e) => ({ ...e }));
    },
  };

  const hub: Pick<JobEventHub, 'subscribe' | 'subscriberCount'> = {
    subscribe(jobId, listener) {
      const set = listeners.get(jobId) ?? new Set<Listener>();
      listeners.set(jobId, set);
      set.add(listener);
      subscribers += 1;
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        set.delete(listener);
        subscribers -= 1;
      };
    },
    subscriberCount: () => subscribers,
  };

  return { history, hub, append, hooks, events: (jobId: string) => streams.get(jobId) ?? [] };
}
export type FakeJobEvents = ReturnType<typeof fakeJobEvents>;
