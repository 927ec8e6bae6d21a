import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { JobEvent, StoredJobEvent } from '../../jobs/job-events.schema.ts';
import { JobFollower, type FollowerOutput, type FollowOutcome, type JobEventSources, type JobEventsCursor } from '../../services/job-follower.ts';
import type { AppEnv } from '../app-env.ts';
import { HeartbeatWheel, type Beating } from './heartbeat-wheel.ts';
import { HEARTBEAT_FRAME, SSE_HEADERS, frameCache, openSseWire, sseFrame, type SseWire, type WireEvents } from './sse-wire.ts';

/** What every stream of the process shares. */
type Shared = { wheel: HeartbeatWheel<EventStream>; frameOf: (event: StoredJobEvent) => Uint8Array };

/** One client's stream: the follower's output, the wire's listener and a heartbeat member. */
class EventStream implements FollowerOutput, WireEvents, Beating {
  wire!: SseWire;
  follower: JobFollower | undefined;
  slot = -1;
  readonly #shared: Shared;
  readonly #jobId: string;
  readonly #logger: Logger;

  constructor(shared: Shared, jobId: string, logger: Logger) {
    this.#shared = shared;
    this.#jobId = jobId;
    this.#logger = logger;
  }

  event(event: StoredJobEvent): boolean {
    return this.wire.write(this.#shared.frameOf(event));
  }

  synthesized(event: JobEvent, id: string): void {
    this.wire.write(sseFrame(event.type, id, JSON.stringify(event.data)));
  }

  end(outcome: FollowOutcome, error?: unknown): void {
    this.#shared.wheel.delete(this, this.slot);
    if (outcome === 'error') this.#logger.warn({ err: error, jobId: this.#jobId }, 'job event stream ended early; the client will resume');
    else this.#logger.debug({ jobId: this.#jobId, outcome }, 'job event stream closed');
    this.wire.end();
  }

  beat(): void {
    // A client that has not taken the last frames does not get a queue of heartbeats.
    if (this.follower?.paused === false) this.wire.write(HEARTBEAT_FRAME);
  }

  drained(): void {
    this.follower?.resume();
  }

  closed(): void {
    this.follower?.abort();
  }
}

export type JobEventStreamsOptions = {
  heartbeatMs: number;
  /** Ends every open stream (clients resume elsewhere with Last-Event-ID). */
  shutdown?: AbortSignal | undefined;
};

/**
 * The process's open job event streams. Under @hono/node-server each stream writes its frames
 * straight to the Node response (the handler answers RESPONSE_ALREADY_SENT); elsewhere it answers
 * with a web stream of the same frames. A stream holds a follower, a wire and a heartbeat slot, and
 * nothing of the request's context: the per-request Fetch objects and middleware closures go when
 * the handler returns. One heartbeat wheel beats every stream; heartbeats read nothing.
 */
export function createJobEventStreams(options: JobEventStreamsOptions) {
  const shared: Shared = { wheel: new HeartbeatWheel<EventStream>(options.heartbeatMs), frameOf: frameCache() };
  options.shutdown?.addEventListener(
    'abort',
    () => {
      for (const stream of [...shared.wheel.members()]) stream.follower?.abort();
    },
    { once: true },
  );
  return {
    /** Answers with the stream of `sources.jobId` after `cursor`, which `openJobEvents` found open. */
    open(c: Context<AppEnv>, sources: JobEventSources, cursor: JobEventsCursor): Response {
      // HEAD (answered by the GET handler) gets the headers only: nothing would read the stream.
      if (c.req.method === 'HEAD') return c.body(null, 200, SSE_HEADERS);
      const stream = new EventStream(shared, sources.jobId, c.var.logger);
      const opened = openSseWire(c, stream);
      // Gone while the history was read: nothing to follow.
      if (!opened) return RESPONSE_ALREADY_SENT;
      stream.wire = opened.wire;
      stream.slot = shared.wheel.add(stream);
      const follower = (stream.follower = new JobFollower(sources, cursor, stream));
      if (options.shutdown?.aborted) follower.abort();
      else follower.start(cursor.backlog);
      return opened.answer;
    },
  };
}
