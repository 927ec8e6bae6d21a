import type { Wakeup } from '../../../../src/jobs/job-event-hub.ts';
import type { JobEvent, StoredJobEvent } from '../../../../src/jobs/job-events.schema.ts';
import { compareEventIds, HISTORY_START } from '../../../../src/jobs/job-history.ts';
import { openJobEvents } from '../../../../src/services/job-event-stream.ts';
import { JobFollower, type FollowOutcome, type JobEventSources } from '../../../../src/services/job-follower.ts';
import type { SeenEvent } from './sse-client.ts';

type Listener = (wakeup: Wakeup) => void;

/**
 * A job's history and a hub as the API process has them: each announcement names the entry before
 * it (`prev`) and carries the entry; announcements arrive in publish order (one Redis connection)
 * unless the test drops them, as a lost connection does; `resync` is the hub's "read your history"
 * once its subscription is back, `finish` BullMQ's word that the job finished. Reads are counted.
 */
export function linkedJobEvents(jobId = 'j1') {
  const history: StoredJobEvent[] = [];
  const listeners = new Set<Listener>();
  const pending: Wakeup[] = [];
  const reads: Array<string | undefined> = [];
  let appended = 0;
  let terminal: JobEvent | undefined;

  const sources: JobEventSources = {
    jobId,
    history: {
      async read(id, afterId) {
        reads.push(afterId);
        return id !== jobId ? [] : history.filter((e) => afterId === undefined || compareEventIds(e.id, afterId) > 0).map((e) => ({ ...e }));
      },
    },
    hub: {
      subscribe(id, listener) {
        if (id !== jobId) return () => undefined;
        const wake: Listener = (wakeup) => listener(wakeup);
        listeners.add(wake);
        return () => void listeners.delete(wake);
      },
    },
    terminalFromQueue: async () => terminal,
  };
  const wakeAll = (wakeup: Wakeup) => {
    for (const listener of [...listeners]) listener(wakeup);
  };

  return {
    sources,
    history,
    pending,
    reads,
    subscribers: () => listeners.size,
    /** Appends with the next id; the announcement (naming the entry before) waits in `pending` unless `announce` is false. */
    append(event: JobEvent, options: { announce?: boolean } = {}): StoredJobEvent {
      const id = `${1_767_225_600_000 + Math.floor(appended / 2)}-${appended % 2}`;
      appended += 1;
      const prev = history.at(-1)?.id ?? HISTORY_START;
      const stored: StoredJobEvent = { ...event, id, jobId };
      history.push(stored);
      if (options.announce !== false) pending.push({ id, prev, event: { ...stored } });
      return stored;
    },
    /** Delivers the oldest pending announcement, as Redis does. */
    deliver() {
      const wakeup = pending.shift();
      if (wakeup) wakeAll(wakeup);
    },
    drop() {
      pending.shift();
    },
    resync: () => wakeAll({ check: 'history' }),
    finish(event: JobEvent) {
      terminal = event;
      wakeAll({ check: 'finished' });
    },
  };
}
export type LinkedJobEvents = ReturnType<typeof linkedJobEvents>;

/**
 * A client of the API's streams: a JobFollower per connection after `openJobEvents`, as the jobs
 * handler runs them, and no heartbeat reads. `slow` makes the next write report that the client
 * has not taken it (backpressure); `drain` resumes.
 */
export function followerClient(sources: JobEventSources) {
  const seen: SeenEvent[] = [];
  const outcomes: FollowOutcome[] = [];
  let follower: JobFollower | undefined;
  let slow = false;
  const lastId = () => seen.findLast((e) => e.id !== undefined)?.id;
  return {
    seen,
    outcomes,
    over: () => outcomes.at(-1) === 'over',
    connected: () => follower !== undefined,
    slow: () => void (slow = true),
    drain: () => {
      slow = false;
      follower?.resume();
    },
    async connect(): Promise<void> {
      if (follower) return;
      const cursor = await openJobEvents(sources, lastId());
      if (cursor === 'over') {
        outcomes.push('over');
        return;
      }
      const current = new JobFollower(sources, cursor, {
        event: (event) => {
          seen.push({ event: event.type, id: event.id, data: JSON.stringify(event.data) });
          return !slow;
        },
        synthesized: (event, id) => void seen.push({ event: event.type, id, data: JSON.stringify(event.data) }),
        end: (outcome) => {
          outcomes.push(outcome);
          if (follower === current) follower = undefined;
        },
      });
      follower = current;
      current.start(cursor.backlog);
    },
    disconnect: () => follower?.abort(),
  };
}
