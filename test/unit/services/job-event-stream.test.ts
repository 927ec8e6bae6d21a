import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import { followJobEvents, type EventSink, type FollowOptions } from '../../../src/services/job-event-stream.ts';
import { fakeJobEvents, type FakeJobEvents } from '../api/support/fake-events.ts';

const progress = (i: number): JobEvent => ({ type: 'progress', data: { step: `s${i}`, stepIndex: i, totalSteps: 13, percent: i, message: `s${i}` } });
const completed: JobEvent = { type: 'completed', data: { ok: true } };

function recorder() {
  const sent: Array<{ event: string; id?: string; data: string }> = [];
  const comments: string[] = [];
  const sink: EventSink = {
    event: async (message) => void sent.push(message),
    comment: async (text) => void comments.push(text),
  };
  return { sent, comments, sink };
}

function follow(events: FakeJobEvents, sink: EventSink, extra: Partial<FollowOptions> = {}) {
  const controller = new AbortController();
  const done = followJobEvents({
    jobId: 'j1',
    hub: events.hub,
    history: events.history,
    terminalFromQueue: async () => undefined,
    sink,
    signal: controller.signal,
    heartbeatMs: 60_000,
    ...extra,
  });
  return { done, abort: () => controller.abort() };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('followJobEvents', () => {
  it('delivers events appended while the history is being read exactly once, in order', async () => {
    const events = fakeJobEvents();
    const before = [1, 2, 3].map((i) => events.append('j1', progress(i)));
    let during: string[] = [];
    // Appends land after the history snapshot but before the reader flushes its buffer.
    events.hooks.onRead = () => {
      events.hooks.onRead = undefined;
      during = [4, 5].map((i) => events.append('j1', progress(i)).id);
    };
    const { sent, sink } = recorder();
    const run = follow(events, sink);
    await tick();
    const after = events.append('j1', progress(6));
    const end = events.append('j1', completed);
    expect(await run.done).toBe('finished');
    expect(sent.map((m) => m.id)).toEqual([...before.map((e) => e.id), ...during, after.id, end.id]);
    expect(events.hub.subscriberCount()).toBe(0);
  });

  it('resumes after any id with exactly the events that follow it', async () => {
    const events = fakeJobEvents();
    const all = [...[1, 2, 3, 4].map((i) => events.append('j1', progress(i))), events.append('j1', completed)];
    for (const [index, resumeFrom] of all.entries()) {
      const { sent, sink } = recorder();
      const run = follow(events, sink, { afterId: resumeFrom.id });
      if (index === all.length - 1) {
        // Nothing follows the terminal event: nothing is sent and the stream waits (a client should not resume past it).
        await tick();
        run.abort();
        expect(await run.done).toBe('aborted');
        expect(sent).toEqual([]);
      } else {
        expect(await run.done).toBe('finished');
        expect(sent.map((m) => m.id)).toEqual(all.slice(index + 1).map((e) => e.id));
      }
    }
  });

  it('sends each event\'s data as JSON with its type as the event name', async () => {
    const events = fakeJobEvents();
    events.append('j1', progress(1));
    events.append('j1', { type: 'failed', data: { step: 's1', message: 'boom' } });
    const { sent, sink } = recorder();
    await follow(events, sink).done;
    expect(sent.map(({ event, data }) => ({ event, data: JSON.parse(data) as unknown }))).toEqual([
      { event: 'progress', data: progress(1).data },
      { event: 'failed', data: { step: 's1', message: 'boom' } },
    ]);
  });

  it('heals an event the hub never announced at the next heartbeat, keeping the order', async () => {
    const events = fakeJobEvents();
    const { sent, comments, sink } = recorder();
    const run = follow(events, sink, { heartbeatMs: 30 });
    await tick();
    const lost = events.append('j1', progress(1), { announce: false });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(comments.length).toBeGreaterThan(0);
    expect(sent.map((m) => m.id)).toEqual([lost.id]);
    const next = events.append('j1', progress(2));
    const end = events.append('j1', completed);
    await run.done;
    expect(sent.map((m) => m.id)).toEqual([lost.id, next.id, end.id]);
  });

  it('synthesizes the terminal event, without an id, for a finished job with no terminal event in history', async () => {
    const events = fakeJobEvents();
    const first = events.append('j1', progress(1));
    const { sent, sink } = recorder();
    const result = await follow(events, sink, { terminalFromQueue: async () => ({ type: 'completed', data: { from: 'queue' } }) }).done;
    expect(result).toBe('finished');
    expect(sent).toEqual([
      { event: 'progress', id: first.id, data: JSON.stringify(progress(1).data) },
      { event: 'completed', data: '{"from":"queue"}' },
    ]);
  });

  it('prefers a terminal event the worker recorded late over a synthesized one', async () => {
    const events = fakeJobEvents();
    const { sent, sink } = recorder();
    let recorded: string | undefined;
    const result = await follow(events, sink, {
      terminalFromQueue: async () => {
        recorded ??= events.append('j1', completed, { announce: false }).id;
        return { type: 'completed', data: { from: 'queue' } };
      },
    }).done;
    expect(result).toBe('finished');
    expect(sent).toEqual([{ event: 'completed', id: recorded, data: '{"ok":true}' }]);
  });

  it('releases the subscription and the timer when the client goes away', async () => {
    const events = fakeJobEvents();
    const { sink } = recorder();
    const run = follow(events, sink, { heartbeatMs: 10 });
    await tick();
    expect(events.hub.subscriberCount()).toBe(1);
    run.abort();
    expect(await run.done).toBe('aborted');
    expect(events.hub.subscriberCount()).toBe(0);
  });

  it('ends with "error" when the history cannot be read, and releases everything', async () => {
    const events = fakeJobEvents();
    const { sink } = recorder();
    const errors: unknown[] = [];
    const result = await follow(events, sink, {
      history: { read: async () => Promise.reject(new Error('Connection is closed.')) },
      onError: (error) => errors.push(error),
    }).done;
    expect(result).toBe('error');
    expect(errors).toHaveLength(1);
    expect(events.hub.subscriberCount()).toBe(0);
  });
});
