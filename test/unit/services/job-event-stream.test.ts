import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import { eventIdAfter } from '../../../src/jobs/job-history.ts';
import { followJobEvents, type EventSink, type FollowOptions } from '../../../src/services/job-event-stream.ts';
import { fakeJobEvents } from '../api/support/fake-events.ts';
import { flakyJobEvents, settle, sseClient } from './support/sse-client.ts';

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

function follow(events: Pick<FollowOptions, 'hub' | 'history'>, sink: EventSink, extra: Partial<FollowOptions> = {}) {
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
        // Nothing follows the terminal event: the stream is over before it starts (the API answers 204).
        expect(await run.done).toBe('over');
        expect(sent).toEqual([]);
      } else {
        expect(await run.done).toBe('finished');
        expect(sent.map((m) => m.id)).toEqual(all.slice(index + 1).map((e) => e.id));
      }
    }
  });

  it('delivers an event whose announcement pub/sub lost between two others, once, in order, without waiting for a heartbeat', async () => {
    const job = flakyJobEvents();
    const client = sseClient(job.sources);
    await client.connect();
    const first = job.append(progress(1));
    const lost = job.append(progress(2), { announce: false });
    const third = job.append(progress(3));
    const end = job.append(completed);
    // The announcements of 1, 3 and the end arrive; the one of 2 never does.
    for (let i = 0; i < 3; i += 1) job.deliver(0);
    await settle();
    expect(client.seen.map((m) => m.id)).toEqual([first.id, lost.id, third.id, end.id]);
    expect(client.outcomes).toEqual(['finished']);
  });

  it('answers "over" to a resume after the terminal event and repeats nothing, even when BullMQ also reports the end', async () => {
    const job = flakyJobEvents();
    job.append(progress(1));
    const end = job.append(completed);
    job.finish(completed);
    const { sent, sink } = recorder();
    expect(await follow(job.sources, sink, { afterId: end.id, terminalFromQueue: job.sources.terminalFromQueue }).done).toBe('over');
    expect(sent).toEqual([]);
  });

  it('gives a synthesized terminal event an id after the history, and a resume after that id is "over"', async () => {
    const job = flakyJobEvents();
    const last = job.append(progress(1));
    job.finish({ type: 'failed', data: { step: 's1', message: 'worker lost' } });
    const client = sseClient(job.sources);
    await client.connect();
    expect(client.seen).toEqual([
      { event: 'progress', id: last.id, data: JSON.stringify(progress(1).data) },
      { event: 'failed', id: eventIdAfter(last.id), data: '{"step":"s1","message":"worker lost"}' },
    ]);
    await client.connect();
    expect(client.outcomes).toEqual(['finished', 'over']);
    expect(client.seen).toHaveLength(2);
  });

  it("sends each event's data as JSON with its type as the event name", async () => {
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
