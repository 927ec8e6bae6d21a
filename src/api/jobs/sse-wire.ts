import { type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { StoredJobEvent } from '../../jobs/job-events.schema.ts';
import type { AppEnv } from '../app-env.ts';

/** One client's connection, as the event streams write to it. */
export interface SseWire {
  /** False when the client has not taken what was written before; `drained` follows when it has. */
  write(frame: Uint8Array): boolean;
  end(): void;
}

/** What a wire tells its stream. */
export type WireEvents = { drained(): void; closed(): void };

export const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' } as const;

/** `: heartbeat`, the comment that keeps idle connections and the proxies in front of them open. */
export const HEARTBEAT_FRAME = Buffer.from(': heartbeat\n\n');

/** One event's bytes (JSON has no raw line breaks, so `data` is one line). */
export const sseFrame = (type: string, id: string, data: string): Uint8Array => Buffer.from(`event: ${type}\ndata: ${data}\nid: ${id}\n\n`);

/**
 * Frames by history entry: a hub announcement and a coalesced history read hand every follower of
 * a job the same entry objects, so each event is formatted once and the same bytes go to everyone.
 * Weakly held: a frame goes with the last follower holding its entry.
 */
export function frameCache(): (event: StoredJobEvent) => Uint8Array {
  const frames = new WeakMap<StoredJobEvent, Uint8Array>();
  return (event) => {
    let frame = frames.get(event);
    if (frame === undefined) frames.set(event, (frame = sseFrame(event.type, event.id, JSON.stringify(event.data))));
    return frame;
  };
}

/** Frames written straight to the Node response: no web stream, no per-frame copy. */
export class NodeWire implements SseWire {
  readonly #res: ServerResponse;
  readonly #events: WireEvents;
  #waiting = false;

  constructor(res: ServerResponse, headers: OutgoingHttpHeaders, events: WireEvents) {
    this.#res = res;
    this.#events = events;
    res.writeHead(200, headers);
    res.flushHeaders();
    // Fires for an abrupt disconnect as for our own end.
    res.once('close', () => events.closed());
  }

  write(frame: Uint8Array): boolean {
    if (this.#res.destroyed) return false;
    if (this.#res.write(frame)) return true;
    if (!this.#waiting) {
      this.#waiting = true;
      this.#res.once('drain', () => {
        this.#waiting = false;
        this.#events.drained();
      });
    }
    return false;
  }

  end(): void {
    if (!this.#res.destroyed && !this.#res.writableEnded) this.#res.end();
  }
}

/** Off Node (`app.request` in tests, other runtimes): a web stream with the same frames. */
export function webWire(events: WireEvents): { wire: SseWire; body: ReadableStream<Uint8Array> } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      pull: () => events.drained(),
      cancel: () => {
        open = false;
        events.closed();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );
  const wire: SseWire = {
    write(frame) {
      if (!open) return false;
      controller.enqueue(frame);
      return (controller.desiredSize ?? 0) > 0;
    },
    end() {
      if (!open) return;
      open = false;
      controller.close();
    },
  };
  return { wire, body };
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

/**
 * Opens the client's wire: under @hono/node-server the frames go straight to the Node response and
 * the handler answers RESPONSE_ALREADY_SENT; elsewhere the answer is a web stream of the same frames.
 * Undefined when the client went away before (its 'close' has been and will not come again).
 */
export function openSseWire(c: Context<AppEnv>, events: WireEvents): { wire: SseWire; answer: Response } | undefined {
  const res = nodeResponseOf(c);
  if (res?.destroyed) return undefined;
  if (res) return { wire: new NodeWire(res, headersOf(c), events), answer: RESPONSE_ALREADY_SENT };
  const web = webWire(events);
  return { wire: web.wire, answer: c.body(web.body, 200, SSE_HEADERS) };
}
