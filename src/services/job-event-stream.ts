import { isTerminal, type JobEvent, type StoredJobEvent } from '../jobs/job-events.schema.ts';
import { compareEventIds, eventIdBefore } from '../jobs/job-history.ts';
import { JobFollower, type FollowOutcome, type JobEventSources, type JobEventsCursor } from './job-follower.ts';

export type { FollowOutcome, JobEventSources, JobEventsCursor } from './job-follower.ts';

/** Where the events go: an array in tests, any asynchronous writer (the API writes frames itself). */
export type EventSink = {
  event(message: { event: JobEvent['type']; id: string; data: string }): Promise<void>;
  comment(text: string): Promise<void>;
};

/**
 * Where a client resuming after `afterId` stands, from the job's history (whole, or from `afterId`
 * inclusive) and whether BullMQ has the job finished. 'over' when it has already seen the job's
 * final event (a terminal event of the history, or one synthesized after it): the API answers 204,
 * the one answer that stops a browser EventSource from reconnecting.
 */
export function cursorOf(events: StoredJobEvent[], afterId: string | undefined, finished: boolean): JobEventsCursor | 'over' {
  if (afterId === undefined) return { afterId, anchored: true, backlog: events };
  const from = events.findIndex((event) => compareEventIds(event.id, afterId) >= 0);
  const rest = from < 0 ? [] : events.slice(from);
  const anchored = rest[0]?.id === afterId;
  if (anchored && isTerminal(rest[0]!)) return 'over';
  const backlog = anchored ? rest.slice(1) : rest;
  // An id the history does not hold, with nothing after it, of a finished job: the client saw the
  // terminal event synthesized after the history (or its history expired). Nothing more will come.
  if (!anchored && backlog.length === 0 && finished) return 'over';
  return { afterId, anchored, backlog };
}

/** `cursorOf` from a history read from `afterId` inclusive; BullMQ is asked only when the answer depends on it. */
export async function openJobEvents(sources: JobEventSources, afterId: string | undefined): Promise<JobEventsCursor | 'over'> {
  const events = await sources.history.read(sources.jobId, afterId === undefined ? undefined : eventIdBefore(afterId));
  const cursor = cursorOf(events, afterId, false);
  if (cursor === 'over' || cursor.anchored || cursor.backlog.length > 0) return cursor;
  return cursorOf(events, afterId, (await sources.terminalFromQueue()) !== undefined);
}

export type FollowOptions = JobEventSources & {
  /** The last event id the client saw (Last-Event-ID); used when no `cursor` is given. */
  afterId?: string | undefined;
  /** From `openJobEvents`; opened here when absent. */
  cursor?: JobEventsCursor | undefined;
  sink: EventSink;
  signal: AbortSignal;
  heartbeatMs: number;
  /** Runs `beat` every `ms` until the returned function is called; tests pass a manual one. */
  every?: (beat: () => void, ms: number) => () => void;
  onError?: (error: unknown) => void;
};

const intervalTimer = (beat: () => void, ms: number) => {
  const timer = setInterval(beat, ms);
  return () => clearInterval(timer);
};

/**
 * Streams a job's events after the cursor into an asynchronous sink, each exactly once, in history
 * order (a `JobFollower`). This is the follower for a hub that may lose an announcement without
 * saying so: its heartbeat reads the history and asks BullMQ whether the job finished, so a lost
 * announcement is healed by the next wake-up or by the next heartbeat. (The API's streams trust
 * the Redis hub, which reports its own gaps, and read nothing on a heartbeat: see
 * src/api/jobs/job-event-streams.ts.) Resolves when a terminal event was sent, the client went away,
 * or Redis failed (the client then reconnects with Last-Event-ID); the subscription and the timer
 * are released in every case.
 */
export async function followJobEvents(options: FollowOptions): Promise<FollowOutcome> {
  const { sink, signal } = options;
  let cursor = options.cursor;
  if (cursor === undefined) {
    try {
      const opened = await openJobEvents(options, options.afterId);
      if (opened === 'over') return 'over';
      cursor = opened;
    } catch (error) {
      options.onError?.(error);
      return 'error';
    }
  }
  // The sink's writes run one after the other, in the order the follower made them; the first
  // that fails ends the stream with 'error'.
  let writes: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  const write = (work: () => Promise<void>) => {
    writes = writes.then(async () => {
      if (failure !== undefined) return;
      try {
        await work();
      } catch (error) {
        failure = { error };
        follower.abort();
      }
    });
  };
  let ended!: (outcome: FollowOutcome, error?: unknown) => void;
  const outcome = new Promise<FollowOutcome>((resolve) => {
    ended = (result, error) =>
      void writes.then(() => {
        const failed = failure ?? (result === 'error' ? { error } : undefined);
        if (failed !== undefined) options.onError?.(failed.error);
        resolve(failed === undefined ? result : 'error');
      });
  });
  const follower = new JobFollower(options, cursor, {
    event: (event) => {
      write(() => sink.event({ event: event.type, id: event.id, data: JSON.stringify(event.data) }));
      return true;
    },
    synthesized: (event, id) => write(() => sink.event({ event: event.type, id, data: JSON.stringify(event.data) })),
    end: (result, error) => ended(result, error),
  });
  const onAbort = () => follower.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let stopBeating: (() => void) | undefined;
  try {
    if (signal.aborted) follower.abort();
    else follower.start(cursor.backlog);
    if (!follower.done) {
      let beating = false;
      stopBeating = (options.every ?? intervalTimer)(() => {
        // A client too slow to take the last heartbeat does not get a queue of them.
        if (beating || follower.done) return;
        beating = true;
        write(async () => {
          try {
            await sink.comment('heartbeat');
          } finally {
            beating = false;
          }
        });
        follower.reconcile();
      }, options.heartbeatMs);
    }
    return await outcome;
  } finally {
    stopBeating?.();
    signal.removeEventListener('abort', onAbort);
  }
}
