import type { JobEventHub } from '../jobs/job-event-hub.ts';
import { isTerminal, type JobEvent, type StoredJobEvent } from '../jobs/job-events.schema.ts';
import { compareEventIds, type JobHistory } from '../jobs/job-history.ts';

/** Where the events go: an SSE stream in the API, an array in tests. */
export type EventSink = {
  /** `id` is absent only for a terminal event synthesized from BullMQ (it has no history id). */
  event(message: { event: JobEvent['type']; id?: string; data: string }): Promise<void>;
  comment(text: string): Promise<void>;
};

export type FollowOptions = {
  jobId: string;
  /** The last event id the client saw (Last-Event-ID); events up to and including it are not sent again. */
  afterId?: string | undefined;
  hub: Pick<JobEventHub, 'subscribe'>;
  history: Pick<JobHistory, 'read'>;
  /** The job's terminal event from BullMQ when the job is finished, else undefined. */
  terminalFromQueue: () => Promise<JobEvent | undefined>;
  sink: EventSink;
  signal: AbortSignal;
  heartbeatMs: number;
  onError?: (error: unknown) => void;
};

export type FollowOutcome = 'finished' | 'aborted' | 'error';

/**
 * Streams a job's events from `afterId` on, with no gap and no duplicate:
 * 1. subscribe to the hub first, buffering, so nothing appended from now on can be missed;
 * 2. replay the durable history after `afterId`;
 * 3. flush the buffer, dropping what the history already covered (ids only increase);
 * 4. go live. Every heartbeat re-reads the history after the last id sent, which heals messages
 *    pub/sub lost during a Redis reconnect, and checks BullMQ: a finished job whose history has no
 *    terminal event gets one synthesized from the job, so the stream always ends.
 * Resolves when a terminal event was sent, the client went away, or Redis failed (the client then
 * reconnects with Last-Event-ID); the subscription and the timer are released in every case.
 */
export async function followJobEvents(options: FollowOptions): Promise<FollowOutcome> {
  const { jobId, sink, signal } = options;
  let lastId = options.afterId;
  let live = false;
  let outcome: FollowOutcome | undefined;
  let finish!: (value: FollowOutcome) => void;
  const ended = new Promise<FollowOutcome>((resolve) => {
    finish = (value) => {
      outcome ??= value;
      resolve(outcome);
    };
  });
  const buffer: StoredJobEvent[] = [];
  let chain: Promise<void> = Promise.resolve();

  const send = async (event: StoredJobEvent) => {
    if (outcome !== undefined) return;
    if (lastId !== undefined && compareEventIds(event.id, lastId) <= 0) return;
    lastId = event.id;
    await sink.event({ event: event.type, id: event.id, data: JSON.stringify(event.data) });
    if (isTerminal(event)) finish('finished');
  };
  const fail = (error: unknown) => {
    options.onError?.(error);
    finish('error');
  };
  // Writes are serialised: live events, healed history and heartbeats go out one at a time, in order.
  const later = (work: () => Promise<void>) => {
    chain = chain.then(() => (outcome === undefined ? work() : undefined)).catch(fail);
    return chain;
  };

  const unsubscribe = options.hub.subscribe(jobId, (event) => {
    if (live) void later(() => send(event));
    else buffer.push(event);
  });
  const onAbort = () => finish('aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) finish('aborted');

  const reconcile = async () => {
    for (const event of await options.history.read(jobId, lastId)) await send(event);
    if (outcome !== undefined) return;
    const terminal = await options.terminalFromQueue();
    if (terminal === undefined || outcome !== undefined) return;
    // Read once more: the worker may have recorded the terminal event since the read above.
    for (const event of await options.history.read(jobId, lastId)) await send(event);
    if (outcome !== undefined) return;
    await sink.event({ event: terminal.type, data: JSON.stringify(terminal.data) });
    finish('finished');
  };

  let heartbeat: NodeJS.Timeout | undefined;
  try {
    await later(async () => {
      for (const event of await options.history.read(jobId, options.afterId)) {
        await send(event);
        if (outcome !== undefined) return;
      }
      while (buffer.length > 0 && outcome === undefined) await send(buffer.shift()!);
      // No await between the empty check and this line: from here the listener writes directly.
      live = true;
    });
    await later(reconcile);
    if (outcome === undefined) {
      let beating = false;
      heartbeat = setInterval(() => {
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
    clearInterval(heartbeat);
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
    buffer.length = 0;
  }
}
