import type { JobEventHub, Wakeup } from '../jobs/job-event-hub.ts';
import { isTerminal, type JobEvent, type StoredJobEvent } from '../jobs/job-events.schema.ts';
import { compareEventIds, eventIdAfter, HISTORY_START, type JobHistory } from '../jobs/job-history.ts';

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

export type FollowOutcome = 'finished' | 'over' | 'aborted' | 'error';

/** Where a follower's events go, in order, each once. */
export type FollowerOutput = {
  /** A history entry. False: the client is not taking more for now; `resume` says when it is. */
  event(event: StoredJobEvent): boolean;
  /** A terminal event synthesized from BullMQ's record of the job, numbered `id`. */
  synthesized(event: JobEvent, id: string): void;
  /** The stream is over; called once, after the hub subscription was released. */
  end(outcome: FollowOutcome, error?: unknown): void;
};

const PULL = 1;
const RECONCILE = 2;

/**
 * One client following one job: sends every history entry after the cursor exactly once, in order,
 * and ends after the terminal event. The history is the only source of events: an announcement's
 * entry is sent as it is only when it names the last id sent as its `prev`, and anything
 * else that may be new (an announcement out of sequence, a hub `check`) reads the history after the
 * last id sent. One read or reconcile runs at a time; wake-ups meanwhile ask for one more.
 * Reconciling also asks BullMQ whether the job finished: a finished job whose history has no
 * terminal event gets one synthesized, numbered after the history's last, so the stream always
 * ends and a resume after it is 'over'. Writes are synchronous, so a burst costs one call per
 * follower; a client that stops taking frames is not written to until it `resume`s, and then reads
 * what it missed from the history.
 */
export class JobFollower {
  #lastId: string | undefined;
  #anchored: boolean;
  #done = false;
  #busy = false;
  #paused = false;
  #wanted = 0;
  #unsubscribe: (() => void) | undefined;
  readonly #sources: JobEventSources;
  readonly #output: FollowerOutput;

  constructor(sources: JobEventSources, cursor: JobEventsCursor, output: FollowerOutput) {
    this.#sources = sources;
    this.#output = output;
    this.#lastId = cursor.afterId;
    this.#anchored = cursor.anchored;
  }

  /** Subscribes, sends the cursor's backlog, then reads what was appended since the cursor's read. */
  start(backlog: readonly StoredJobEvent[]): void {
    this.#unsubscribe = this.#sources.hub.subscribe(this.#sources.jobId, (wakeup) => this.wake(wakeup));
    for (const event of backlog) {
      if (this.#done) return;
      this.#send(event, true);
    }
    if (!this.#done) this.#want(RECONCILE);
  }

  get done(): boolean {
    return this.#done;
  }

  /** Whether frames should be held back (the client has not taken the last ones). */
  get paused(): boolean {
    return this.#paused;
  }

  wake(wakeup: Wakeup): void {
    if (this.#done) return;
    if (wakeup.id === undefined) return this.#want(wakeup.check === 'finished' ? RECONCILE : PULL);
    // The hot path: the announced entry is the one right after the last this client has.
    if (wakeup.event !== undefined && wakeup.prev === (this.#lastId ?? HISTORY_START) && !this.#paused) {
      return this.#send(wakeup.event, false);
    }
    if (this.#lastId !== undefined && compareEventIds(wakeup.id, this.#lastId) <= 0) return;
    this.#want(PULL);
  }

  /** Reads the history and asks BullMQ whether the job finished (a heartbeat that cannot trust its hub). */
  reconcile(): void {
    if (!this.#done) this.#want(RECONCILE);
  }

  /** The client takes frames again: what it was not sent meanwhile comes from the history. */
  resume(): void {
    if (this.#done || !this.#paused) return;
    this.#paused = false;
    this.#want(PULL);
  }

  abort(): void {
    this.#finish('aborted');
  }

  #send(event: StoredJobEvent, check: boolean): void {
    // A read starts after the last id sent, but a read that overlapped a direct send repeats it.
    if (check && this.#lastId !== undefined && compareEventIds(event.id, this.#lastId) <= 0) return;
    this.#lastId = event.id;
    this.#anchored = true;
    const more = this.#output.event(event);
    if (isTerminal(event)) this.#finish('finished');
    else if (!more) this.#paused = true;
  }

  #want(kind: number): void {
    if (kind > this.#wanted) this.#wanted = kind;
    if (!this.#busy && !this.#paused) void this.#run();
  }

  async #run(): Promise<void> {
    this.#busy = true;
    try {
      while (!this.#done && !this.#paused && this.#wanted !== 0) {
        const kind = this.#wanted;
        this.#wanted = 0;
        if (kind === RECONCILE) await this.#reconcile();
        else await this.#pull();
      }
    } catch (error) {
      this.#finish('error', error);
    } finally {
      this.#busy = false;
    }
  }

  async #pull(): Promise<void> {
    const events = await this.#sources.history.read(this.#sources.jobId, this.#lastId);
    for (const event of events) {
      if (this.#done) return;
      this.#send(event, true);
    }
  }

  async #reconcile(): Promise<void> {
    await this.#pull();
    if (this.#done) return;
    const terminal = await this.#sources.terminalFromQueue();
    if (terminal === undefined || this.#done) return;
    // Read once more: the worker records its terminal event before BullMQ marks the job finished.
    await this.#pull();
    if (this.#done) return;
    // The client's id lies beyond the history: there is nothing to send. It reconnects and gets 204.
    if (!this.#anchored) return this.#finish('finished');
    const id = eventIdAfter(this.#lastId ?? '0-0');
    this.#lastId = id;
    this.#output.synthesized(terminal, id);
    this.#finish('finished');
  }

  #finish(outcome: FollowOutcome, error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#output.end(outcome, error);
  }
}
