import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { streamSSE } from 'hono/streaming';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_FRAME, NodeWire, frameCache, sseFrame, webWire } from '../../../src/api/jobs/sse-wire.ts';
import type { StoredJobEvent } from '../../../src/jobs/job-events.schema.ts';
import { parseSse } from './support/sse.ts';

const entry = (): StoredJobEvent => ({
  type: 'progress',
  id: '1767225600000-1',
  jobId: 'j1',
  data: { step: 'deploy-chart', stepIndex: 3, totalSteps: 13, percent: 23, message: 'line one\nline two' },
});
const text = (frame: Uint8Array) => Buffer.from(frame).toString('utf8');

/** The events notified by a wire. */
const recorder = () => {
  const calls: string[] = [];
  return { calls, drained: () => void calls.push('drained'), closed: () => void calls.push('closed') };
};

/** A Node response that takes `capacity` bytes before it reports backpressure. */
class FakeResponse extends EventEmitter {
  head: [number, unknown] | undefined;
  written: string[] = [];
  buffered = 0;
  destroyed = false;
  writableEnded = false;
  readonly capacity: number;
  constructor(capacity: number) {
    super();
    this.capacity = capacity;
  }
  writeHead(status: number, headers: unknown) {
    this.head = [status, headers];
  }
  flushHeaders() {}
  write(chunk: Uint8Array) {
    this.written.push(text(chunk));
    this.buffered += chunk.byteLength;
    return this.buffered < this.capacity;
  }
  end() {
    this.writableEnded = true;
    this.emit('close');
  }
}

describe('SSE framing', () => {
  it("frames an event byte for byte as Hono's streamSSE did, with JSON data on one line", async () => {
    const event = entry();
    const app = new Hono().get('/', (c) => streamSSE(c, (s) => s.writeSSE({ event: event.type, id: event.id, data: JSON.stringify(event.data) })));
    const expected = await (await app.request('/')).text();
    expect(text(sseFrame(event.type, event.id, JSON.stringify(event.data)))).toBe(expected);
    expect(parseSse(expected)).toEqual([{ event: 'progress', id: event.id, data: JSON.stringify(event.data) }]);
    expect(parseSse(text(HEARTBEAT_FRAME))).toEqual([{ comment: 'heartbeat' }]);
  });

  it('formats each history entry once: every follower handed the same entry gets the same bytes', () => {
    const frameOf = frameCache();
    const shared = entry();
    expect(frameOf(shared)).toBe(frameOf(shared));
    // An equal entry read separately is formatted again, to the same text.
    const copy = entry();
    expect(frameOf(copy)).not.toBe(frameOf(shared));
    expect(text(frameOf(copy))).toBe(text(frameOf(shared)));
  });
});

describe('NodeWire', () => {
  it('writes the head at once, reports backpressure once per wait and the drain that ends it', () => {
    const res = new FakeResponse(2 * HEARTBEAT_FRAME.byteLength);
    const events = recorder();
    const wire = new NodeWire(res as unknown as ServerResponse, { 'content-type': 'text/event-stream' }, events);
    expect(res.head).toEqual([200, { 'content-type': 'text/event-stream' }]);
    expect(wire.write(HEARTBEAT_FRAME)).toBe(true);
    expect(wire.write(HEARTBEAT_FRAME)).toBe(false);
    expect(wire.write(HEARTBEAT_FRAME)).toBe(false);
    expect(res.listenerCount('drain')).toBe(1);
    res.emit('drain');
    expect(events.calls).toEqual(['drained']);
    wire.end();
    wire.end();
    expect(events.calls).toEqual(['drained', 'closed']);
  });

  it('tells its stream when the client goes away, and writes nothing after', () => {
    const res = new FakeResponse(1024);
    const events = recorder();
    const wire = new NodeWire(res as unknown as ServerResponse, {}, events);
    res.destroyed = true;
    res.emit('close');
    expect(events.calls).toEqual(['closed']);
    expect(wire.write(HEARTBEAT_FRAME)).toBe(false);
    expect(res.written).toEqual([]);
  });
});

describe('webWire', () => {
  it('streams the frames, asks for a pause past its buffer and resumes its writer when read', async () => {
    const events = recorder();
    const { wire, body } = webWire(events);
    const big = new Uint8Array(64 * 1024);
    expect(wire.write(HEARTBEAT_FRAME)).toBe(true);
    expect(wire.write(big)).toBe(false);
    const reader = body.getReader();
    expect(text((await reader.read()).value!)).toBe(text(HEARTBEAT_FRAME));
    expect((await reader.read()).value!.byteLength).toBe(big.byteLength);
    expect(events.calls).toContain('drained');
    wire.end();
    expect((await reader.read()).done).toBe(true);
  });

  it('reports a cancelled body as a closed client', async () => {
    const events = recorder();
    const { wire, body } = webWire(events);
    await body.cancel();
    expect(events.calls).toContain('closed');
    expect(wire.write(HEARTBEAT_FRAME)).toBe(false);
  });
});
