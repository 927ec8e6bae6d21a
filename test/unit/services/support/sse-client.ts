import type { JobEvent, StoredJobEvent } from '../../../../src/jobs/job-events.schema.ts';
import { compareEventIds } from '../../../../src/jobs/job-history.ts';
import { followJobEvents, type FollowOutcome, type JobEventSources } from '../../../../src/services/job-event-stream.ts';

/** One event as a client receives it. */
export type SeenEvent = { event: string; id: string | undefined; data: string };
/** What the client must see, in order; `id` is left out for a terminal event synthesized from BullMQ. */
export type ExpectedEvent = { event: string; id?: string; data: string };

type Wake = (announced: { id: string }) => void;

/**
 * A job's history (per-job ids that increase, several per millisecond as Redis gives them) and a hub
 * whose announcements stay pending until the test delivers, repeats, reorders or drops them: the
 * ways Redis pub/sub fails an SSE reader. `finish` marks the job finished in the queue, with or
 * without its terminal event in the history (a worker that died before recording it).
 */
export function flakyJobEvents(jobId = 'j1') {
  const history: StoredJobEvent[] = [];
  const listeners = new Set<Wake>();
  const pending: string[] = [];
  let appended = 0;
  let terminal: JobEvent | undefined;

  const sources: JobEventSources = {
    jobId,
    history: {
      async read(id, afterId) {
        return id !== jobId ? [] : history.filter((e) => afterId === undefined || compareEventIds(e.id, afterId) > 0).map((e) => ({ ...e }));
      },
    },
    hub: {
      subscribe(id, listener) {
        if (id !== jobId) return () => undefined;
        const wake: Wake = (announced) => listener(announced);
        listeners.add(wake);
        return () => void listeners.delete(wake);
      },
    },
    terminalFromQueue: async () => terminal,
  };

  const pick = (index: number) => (pending.length === 0 ? undefined : index % pending.length);
  return {
    sources,
    history,
    pending,
    subscribers: () => listeners.size,
    /** Appends with the next id; the announcement waits in `pending` unless `announce` is false. */
    append(event: JobEvent, options: { announce?: boolean } = {}): StoredJobEvent {
      const id = `${1_767_225_600_000 + Math.floor(appended / 2)}-${appended % 2}`;
      appended += 1;
      const stored: StoredJobEvent = { ...event, id, jobId };
      history.push(stored);
      if (options.announce !== false) pending.push(id);
      return stored;
    },
    /** Delivers pending announcement `index` (modulo their number); `keep` leaves it pending, to be delivered again. */
    deliver(index = 0, options: { keep?: boolean } = {}) {
      const at = pick(index);
      if (at === undefined) return;
      const id = pending[at]!;
      if (!options.keep) pending.splice(at, 1);
      for (const wake of [...listeners]) wake({ id });
    },
    drop(index = 0) {
      const at = pick(index);
      if (at !== undefined) pending.splice(at, 1);
    },
    /** The queue reports the job finished with this terminal event. */
    finish(event: JobEvent) {
      terminal = event;
    },
  };
}
export type FlakyJobEvents = ReturnType<typeof flakyJobEvents>;

/** Lets every promise chain of the fakes and the stream run to its end (they use no timers). */
export async function settle(rounds = 12): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A client that behaves as a browser EventSource: it keeps what it received, and each connection
 * resumes after the last id it saw. Heartbeats are fired by the test (`beat`), not by a timer, so a
 * run is deterministic. `over` means the server answered that nothing will follow (HTTP 204).
 */
export function sseClient(sources: JobEventSources) {
  const seen: SeenEvent[] = [];
  const outcomes: FollowOutcome[] = [];
  type Connection = { abort: AbortController; run: Promise<FollowOutcome>; beat: (() => void) | undefined };
  let connection: Connection | undefined;

  const lastId = () => seen.findLast((e) => e.id !== undefined)?.id;
  return {
    seen,
    outcomes,
    /** Whether a connection is open (its stream has not ended). */
    connected: () => connection !== undefined,
    /** Whether the server said, on the last connection, that the job's stream is over. */
    over: () => outcomes.at(-1) === 'over',
    async connect(): Promise<void> {
      if (connection) return;
      const abort = new AbortController();
      const current: Connection = { abort, run: Promise.resolve<FollowOutcome>('aborted'), beat: undefined };
      current.run = followJobEvents({
        ...sources,
        afterId: lastId(),
        sink: {
          event: async (message) => void seen.push({ event: message.event, id: message.id, data: message.data }),
          comment: async () => undefined,
        },
        signal: abort.signal,
        heartbeatMs: 1_000,
        every: (beat) => {
          current.beat = beat;
          return () => (current.beat = undefined);
        },
      }).then((outcome) => {
        outcomes.push(outcome);
        if (connection === current) connection = undefined;
        return outcome;
      });
      connection = current;
      await settle();
    },
    async disconnect(): Promise<void> {
      const current = connection;
      if (!current) return;
      current.abort.abort();
      await current.run;
    },
    async beat(): Promise<void> {
      connection?.beat?.();
      await settle();
    },
  };
}
export type SseClient = ReturnType<typeof sseClient>;

/** The events a client must see for a history: everything up to the first terminal event, else `synthesized`. */
export function expectedEvents(history: readonly StoredJobEvent[], synthesized?: JobEvent): ExpectedEvent[] {
  const end = history.findIndex((e) => e.type === 'completed' || e.type === 'failed');
  const events: ExpectedEvent[] = (end === -1 ? history : history.slice(0, end + 1)).map((e) => ({ event: e.type, id: e.id, data: JSON.stringify(e.data) }));
  if (end === -1 && synthesized) events.push({ event: synthesized.type, data: JSON.stringify(synthesized.data) });
  return events;
}

/**
 * Why what a client saw over all its connections is not exactly `expected`: a gap, a repeat, a
 * reordering, an id that does not increase, or a wrong payload. Undefined when it is exact.
 */
export function sseMismatch(seen: readonly SeenEvent[], expected: readonly ExpectedEvent[]): string | undefined {
  for (let i = 1; i < seen.length; i += 1) {
    const [before, now] = [seen[i - 1]!.id, seen[i]!.id];
    if (before === undefined || now === undefined) return `event ${i} or the one before it has no id, so a reconnect cannot resume after it`;
    if (compareEventIds(now, before) <= 0) return `ids do not increase at event ${i}: ${before} then ${now}`;
  }
  const show = (events: readonly ExpectedEvent[]) => events.map((e) => `${e.event}#${e.id ?? '?'}`).join(' ');
  const same =
    seen.length === expected.length &&
    seen.every((e, i) => e.event === expected[i]!.event && e.data === expected[i]!.data && (expected[i]!.id === undefined || e.id === expected[i]!.id));
  return same ? undefined : `saw [${show(seen)}], expected [${show(expected)}]`;
}
