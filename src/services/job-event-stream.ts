import type { JobEventHub } from '../jobs/job-event-hub.ts';
import { isTerminal, type JobEvent, type StoredJobEvent } from '../jobs/job-events.schema.ts';
import { compareEventIds, eventIdAfter, eventIdBefore, type JobHistory } from '../jobs/job-history.ts';

/** Where the events go: an SSE stream in the API, an array in tests. */
export type EventSink = {
  event(message: { event: JobEvent['type']; id: string; data: string }): Promise<void>;
  comment(text: string): Promise<void>;
};

/** What a job's event stream is read from. */
export type JobEventSources = {
  jobId: string;
  /** The durable history: the only source of events. */
  history: Pick<JobHistory, 'read'>;
  /** Wakes the stream when the history grew; never trusted to deliver every announcement. */
  hub: Pick<JobEventHub, 'subscribe'>;
  /** The job's terminal event from BullMQ when the job is finished, else undefined. */
  terminalFromQueue: () => Promise<JobEvent | undefined>;
};

/**
 * Where a stream starts. `anchored` says `afterId` is an entry of the history (or absent): only then
 * may a terminal event be synthesized after it, numbered `eventIdAfter(afterId)`.
 */
export type JobEventsCursor = { afterId: string | undefined; anchored: boolean; backlog: StoredJobEvent[] };

/**
 * Reads where a client resuming after `afterId` stands. 'over' when it has already seen the job's
 * final event (a terminal event of the history, or one synthesized after it): the API answers 204,
 * the one answer that stops a browser EventSource from reconnecting.
 */
export async function openJobEvents(sources: JobEventSources, afterId: string | undefined): Promise<JobEventsCursor | 'over'> {
  if (afterId === undefined) return { afterId, anchored: true, backlog: await sources.history.read(sources.jobId) };
  // One read from `afterId` inclusive tells what the client saw last and what follows it.
  const events = await sources.history.read(sources.jobId, eventIdBefore(afterId));
  const anchored = events[0]?.id === afterId;
  if (anchored && isTerminal(events[0]!)) return 'over';
  const backlog = anchored ? events.slice(1) : events;
  // An id the history does not hold, with nothing after it, of a finished job: the client saw the
  // terminal event synthesized after the history (or its history expired). Nothing more will come.
  if (!anchored && backlog.length === 0 && (await sources.terminalFromQueue()) !== undefined) return 'over';
  return { afterId, anchored, backlog };
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

export type FollowOutcome = 'finished' | 'over' | 'aborted' | 'error';

const intervalTimer = (beat: () => void, ms: number) => {
  const timer = setInterval(beat, ms);
  return () => clearInterval(timer);
};

/**
 * Streams a job's events after the cursor, each exactly once, in history order. The history is the
 * only source: every read is "after the last id sent", so an event is sent once whatever pub/sub
 * does. The hub only wakes the stream (one read per announcement of something not yet sent,
 * coalesced while a read is queued); an announcement pub/sub lost is healed by the next wake-up or
 * by the heartbeat, which reads the history and asks BullMQ whether the job finished. A finished
 * job whose history has no terminal event gets one synthesized, with the id after the history's
 * last, so the stream always ends and a resume after it is 'over'. Resolves when a terminal event
 * was sent, the client went away, or Redis failed (the client then reconnects with Last-Event-ID);
 * the subscription and the timer are released in every case.
 */
export async function followJobEvents(options: FollowOptions): Promise<FollowOutcome> {
  const { jobId, sink, signal } = options;
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
  let { afterId: lastId, anchored } = cursor;
  let outcome: FollowOutcome | undefined;
  let finish!: (value: FollowOutcome) => void;
  const ended = new Promise<FollowOutcome>((resolve) => {
    finish = (value) => {
      outcome ??= value;
      resolve(outcome);
    };
  });
  let chain: Promise<void> = Promise.resolve();

  const send = async (event: StoredJobEvent) => {
    if (outcome !== undefined) return;
    // Reads start after lastId; this keeps the promise even for a history that returned more.
    if (lastId !== undefined && compareEventIds(event.id, lastId) <= 0) return;
    lastId = event.id;
    anchored = true;
    await sink.event({ event: event.type, id: event.id, data: JSON.stringify(event.data) });
    if (isTerminal(event)) finish('finished');
  };
  const sendAll = async (events: StoredJobEvent[]) => {
    for (const event of events) {
      if (outcome !== undefined) return;
      await send(event);
    }
  };
  const pull = async () => sendAll(await options.history.read(jobId, lastId));
  const fail = (error: unknown) => {
    options.onError?.(error);
    finish('error');
  };
  // Reads and writes are serialised: each read starts after the last id the one before it sent.
  const later = (work: () => Promise<void>) => {
    chain = chain.then(() => (outcome === undefined ? work() : undefined)).catch(fail);
    return chain;
  };

  let pullQueued = false;
  const unsubscribe = options.hub.subscribe(jobId, (announced) => {
    // A repeated or late announcement of something already sent needs no read; neither does one
    // that arrives while a read is queued, since that read has not started yet.
    if (outcome !== undefined || pullQueued) return;
    if (lastId !== undefined && compareEventIds(announced.id, lastId) <= 0) return;
    pullQueued = true;
    void later(async () => {
      pullQueued = false;
      await pull();
    });
  });
  const onAbort = () => finish('aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) finish('aborted');

  const reconcile = async () => {
    await pull();
    if (outcome !== undefined) return;
    const terminal = await options.terminalFromQueue();
    if (terminal === undefined || outcome !== undefined) return;
    // Read once more: the worker may have recorded the terminal event since the read above.
    await pull();
    if (outcome !== undefined) return;
    // The client's id lies beyond the history: there is nothing to send. It reconnects and gets 204.
    if (!anchored) return finish('finished');
    const id = eventIdAfter(lastId ?? '0-0');
    lastId = id;
    await sink.event({ event: terminal.type, id, data: JSON.stringify(terminal.data) });
    finish('finished');
  };

  let stopBeating: (() => void) | undefined;
  try {
    const backlog = cursor.backlog;
    await later(() => sendAll(backlog));
    // The read covers what was appended between the cursor's read and the subscription.
    await later(reconcile);
    if (outcome === undefined) {
      let beating = false;
      stopBeating = (options.every ?? intervalTimer)(() => {
        // A client too slow to take the last heartbeat does not get a queue of them.
        if (beating) return;
        beating = true;
        void later(async () => {
          await sink.comment('heartbeat');
          await reconcile();
        }).finally(() => (beating = false));
      }, options.heartbeatMs);
    }
    return await ended;
  } finally {
    stopBeating?.();
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
