import { EventEmitter } from 'node:events';
import type { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { queueEndings } from '../../../src/jobs/job-endings.ts';
import { createJobEventHub, type Wakeup } from '../../../src/jobs/job-event-hub.ts';

/** QueueEvents as the API process uses it: 'completed' and 'failed' with the job id. */
const queueEvents = () => new EventEmitter();
const endingsOf = (events: EventEmitter) => queueEndings(events as unknown as Pick<QueueEvents, 'on' | 'off'>);

/** A subscriber connection: messages, a lost connection ('close') and its return ('ready'). */
class FakeSubscriber extends EventEmitter {
  subscribes = 0;
  async subscribe() {
    this.subscribes += 1;
  }
  async quit() {}
  disconnect() {}
  publish(message: unknown) {
    this.emit('message', 'events', JSON.stringify(message));
  }
}

async function hubWith(events = queueEvents()) {
  const subscriber = new FakeSubscriber();
  const hub = await createJobEventHub(subscriber as unknown as Redis, 'events', { endings: endingsOf(events) });
  const seen: Array<[string, Wakeup]> = [];
  const follow = (jobId: string) => hub.subscribe(jobId, (wakeup) => seen.push([jobId, wakeup]));
  return { hub, subscriber, events, seen, follow };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('queueEndings', () => {
  it('reports the ids of the jobs BullMQ completed or failed, until stopped', () => {
    const events = queueEvents();
    const ended: string[] = [];
    const stop = endingsOf(events)((jobId) => ended.push(jobId));
    events.emit('completed', { jobId: 'a', returnvalue: '{}' });
    events.emit('failed', { jobId: 'b', failedReason: 'stalled' });
    events.emit('progress', { jobId: 'c', data: 50 });
    stop();
    events.emit('failed', { jobId: 'd', failedReason: 'x' });
    expect(ended).toEqual(['a', 'b']);
    expect(events.listenerCount('completed') + events.listenerCount('failed')).toBe(0);
  });
});

describe('createJobEventHub', () => {
  it("wakes a job's followers with the announced entry and the one before it, once for all of them", async () => {
    const { seen, follow, subscriber } = await hubWith();
    follow('j1');
    follow('j1');
    follow('j2');
    const data = { step: 's', stepIndex: 0, totalSteps: 1, percent: 0, message: 'm' };
    subscriber.publish({ jobId: 'j1', id: '5-0', prev: '4-0', type: 'progress', data });
    expect(seen.map(([jobId]) => jobId)).toEqual(['j1', 'j1']);
    expect(seen[0]![1]).toEqual({ id: '5-0', prev: '4-0', event: { type: 'progress', data, id: '5-0', jobId: 'j1' } });
    // The same object: its frame is formatted once.
    expect(seen[0]![1]).toBe(seen[1]![1]);
  });

  it('passes an announcement without prev or of an unknown type as a plain wake-up (a read), and ignores garbage', async () => {
    const { seen, follow, subscriber } = await hubWith();
    follow('j1');
    subscriber.publish({ jobId: 'j1', id: '5-0', type: 'progress', data: {} });
    subscriber.publish({ jobId: 'j1', id: '6-0', prev: '5-0', type: 'snapshot', data: {} });
    subscriber.emit('message', 'events', 'not json');
    subscriber.publish({ jobId: 'j1' });
    expect(seen.map(([, wakeup]) => wakeup)).toEqual([
      { id: '5-0', prev: undefined, event: { type: 'progress', data: {}, id: '5-0', jobId: 'j1' } },
      { id: '6-0', prev: '5-0' },
    ]);
  });

  it('tells the followers of a job BullMQ finished to check it, and every follower to read its history once the subscription is back', async () => {
    const { seen, follow, subscriber, events, hub } = await hubWith();
    follow('j1');
    const stop = follow('j2');
    events.emit('failed', { jobId: 'j2', failedReason: 'stalled' });
    events.emit('completed', { jobId: 'nobody-follows' });
    expect(seen).toEqual([['j2', { check: 'finished' }]]);
    stop();
    subscriber.emit('ready');
    await settle();
    expect(seen).toHaveLength(1);
    subscriber.emit('close');
    subscriber.emit('ready');
    await settle();
    expect(subscriber.subscribes).toBe(2);
    expect(seen.slice(1)).toEqual([['j1', { check: 'history' }]]);
    await hub.close();
    events.emit('completed', { jobId: 'j1' });
    expect(seen).toHaveLength(2);
  });
});
