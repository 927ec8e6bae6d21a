import { type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { JobEvent, StoredJobEvent } from '../../jobs/job-events.schema.ts';
import { JobFollower, type FollowerOutput, type FollowOutcome, type JobEventSources, type JobEventsCursor } from '../../services/job-follower.ts';
import type { AppEnv } from '../app-env.ts';
import { HeartbeatWheel, type Beating } from './heartbeat-wheel.ts';
import { HEARTBEAT_FRAME, NodeWire, SSE_HEADERS, frameCache, sseFrame, webWire, type SseWire, type WireEvents } from './sse-wire.ts';

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

/** The Node response under a request served by @hono/node-server; undefined elsewhere (app.request). */
function nodeResponseOf(c: Context<AppEnv>): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? outgoing : undefined;
}

/** The headers the middleware set on the context (request id, rate limit), and the stream's own. */
function headersOf(c: Context<AppEnv>): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  c.newResponse(null, 200, SSE_HEADERS).headers.forEach((value, name) => (headers[name] = value));
  return headers;
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
      const res = nodeResponseOf(c);
      // Gone while the history was read: its 'close' has been and will not come again.
      if (res?.destroyed) return RESPONSE_ALREADY_SENT;
      const stream = new EventStream(shared, sources.jobId, c.var.logger);
      let answer: Response = RESPONSE_ALREADY_SENT;
      if (res) stream.wire = new NodeWire(res, headersOf(c), stream);
      else {
        const web = webWire(stream);
        stream.wire = web.wire;
        answer = c.body(web.body, 200, SSE_HEADERS);
      }
      stream.slot = shared.wheel.add(stream);
      const follower = (stream.follower = new JobFollower(sources, cursor, stream));
      if (options.shutdown?.aborted) follower.abort();
      else follower.start(cursor.backlog);
      return answer;
    },
  };
}
