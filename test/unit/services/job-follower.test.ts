import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import { eventIdAfter } from '../../../src/jobs/job-history.ts';
import { followerClient, linkedJobEvents } from './support/linked-events.ts';
import { expectedEvents, settle, sseMismatch } from './support/sse-client.ts';

const progress = (i: number): JobEvent => ({ type: 'progress', data: { step: `s${i}`, stepIndex: i, totalSteps: 13, percent: i, message: `s${i}` } });
const completed: JobEvent = { type: 'completed', data: { ok: true } };
const failed: JobEvent = { type: 'failed', data: { step: 's3', message: 'stalled' } };

describe('JobFollower (the API streams: linked announcements, no heartbeat reads)', () => {
  it('takes each announced entry that follows the last one sent without reading the history', async () => {
    const job = linkedJobEvents();
    const client = followerClient(job.sources);
    await client.connect();
    await settle();
    const readsAtConnect = job.reads.length;
    const sent = [1, 2, 3].map((i) => job.append(progress(i)));
    const end = job.append(completed);
    for (let i = 0; i < 4; i += 1) job.deliver();
    await settle();
    expect(client.seen.map((m) => m.id)).toEqual([...sent.map((e) => e.id), end.id]);
    expect(client.outcomes).toEqual(['finished']);
    // On connect: the open and the read that covers the subscription's start; nothing since.
    expect(readsAtConnect).toBe(2);
    expect(job.reads).toHaveLength(readsAtConnect);
    expect(job.subscribers()).toBe(0);
  });

  it('reads the history after the last id sent when an announcement names another entry as the one before it', async () => {
    const job = linkedJobEvents();
    const client = followerClient(job.sources);
    await client.connect();
    await settle();
    const first = job.append(progress(1));
    const lost = job.append(progress(2));
    const third = job.append(progress(3));
    job.deliver();
    job.drop();
    job.deliver();
    await settle();
    expect(client.seen.map((m) => m.id)).toEqual([first.id, lost.id, third.id]);
    expect(job.reads.at(-1)).toBe(first.id);
    client.disconnect();
  });

  it('reads the history when the hub says announcements may have been lost, and reads nothing otherwise while idle', async () => {
    const job = linkedJobEvents();
    const client = followerClient(job.sources);
    await client.connect();
    await settle();
    const reads = job.reads.length;
    const end = job.append(completed);
    job.drop();
    await settle();
    expect(job.reads).toHaveLength(reads);
    expect(client.seen).toEqual([]);
    job.resync();
    await settle();
    expect(client.seen.map((m) => m.id)).toEqual([end.id]);
    expect(client.outcomes).toEqual(['finished']);
  });

  it('ends with a synthesized terminal event when BullMQ reports the job finished without one in the history', async () => {
    const job = linkedJobEvents();
    const last = job.append(progress(1));
    const client = followerClient(job.sources);
    await client.connect();
    await settle();
    job.finish(failed);
    await settle();
    expect(client.seen).toEqual([
      { event: 'progress', id: last.id, data: JSON.stringify(progress(1).data) },
      { event: 'failed', id: eventIdAfter(last.id), data: JSON.stringify(failed.data) },
    ]);
    await client.connect();
    expect(client.outcomes).toEqual(['finished', 'over']);
  });

  it('holds frames back from a client that stopped taking them, then sends what it missed from the history', async () => {
    const job = linkedJobEvents();
    const client = followerClient(job.sources);
    await client.connect();
    await settle();
    client.slow();
    const first = job.append(progress(1));
    job.deliver();
    const held = [2, 3].map((i) => job.append(progress(i)));
    job.deliver();
    job.deliver();
    await settle();
    // The first write reported backpressure: nothing more was written.
    expect(client.seen.map((m) => m.id)).toEqual([first.id]);
    client.drain();
    await settle();
    expect(client.seen.map((m) => m.id)).toEqual([first.id, ...held.map((e) => e.id)]);
    client.disconnect();
    expect(job.subscribers()).toBe(0);
  });
});

const Action = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('append' as const), announce: fc.boolean() }), weight: 4 },
  { arbitrary: fc.constant({ kind: 'deliver' as const }), weight: 5 },
  { arbitrary: fc.constant({ kind: 'drop' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'resync' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'disconnect' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'connect' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'slow' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'drain' as const }), weight: 1 },
);

const Scenario = fc.record({
  events: fc.array(fc.nat(12).map(progress), { maxLength: 10 }),
  terminal: fc.constantFrom(completed, failed),
  /** False: the worker died before recording its terminal event, and BullMQ has it. */
  recorded: fc.boolean(),
  actions: fc.array(Action, { maxLength: 40 }),
});

describe('JobFollower over linked announcements (property)', () => {
  it('a client sees the history exactly, healed only by announcements, the hub resync and BullMQ, never by a heartbeat', async () => {
    await fc.assert(
      fc.asyncProperty(Scenario, async ({ events, terminal, recorded, actions }) => {
        const job = linkedJobEvents();
        const client = followerClient(job.sources);
        const plan = [...events, terminal];
        let next = 0;
        // An entry appended without announcement, or an announcement dropped, is what a lost connection does: a resync follows.
        let lost = false;
        const appendNext = (announce: boolean) => {
          const event = plan[next];
          if (event === undefined) return;
          next += 1;
          if (event === terminal && !recorded) return job.finish(terminal);
          job.append(event, { announce });
          if (!announce) lost = true;
          if (event === terminal) job.finish(terminal);
        };
        try {
          for (const action of actions) {
            if (action.kind === 'append') appendNext(action.announce);
            else if (action.kind === 'deliver') job.deliver();
            else if (action.kind === 'drop') {
              if (job.pending.length > 0) lost = true;
              job.drop();
            } else if (action.kind === 'resync') {
              job.resync();
              lost = false;
            } else if (action.kind === 'disconnect') client.disconnect();
            else if (action.kind === 'connect') await client.connect();
            else if (action.kind === 'slow') client.slow();
            else client.drain();
            await settle();
          }
          // The job runs to its end; pub/sub delivers what it still has, and the hub resyncs if it lost anything.
          while (next < plan.length) appendNext(true);
          while (job.pending.length > 0) job.deliver();
          if (lost) job.resync();
          client.drain();
          await settle();
          for (let attempt = 0; attempt < 4 && !client.over(); attempt += 1) {
            await client.connect();
            await settle();
          }
          expect(client.over(), `outcomes ${client.outcomes.join(', ')}`).toBe(true);
          expect(sseMismatch(client.seen, expectedEvents(job.history, terminal))).toBeUndefined();
          expect(job.subscribers()).toBe(0);
        } finally {
          client.disconnect();
        }
      }),
      { numRuns: 300 },
    );
  });
});
