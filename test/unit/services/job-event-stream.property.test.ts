import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import { expectedEvents, flakyJobEvents, settle, sseClient, sseMismatch } from './support/sse-client.ts';

const progress = (i: number): JobEvent => ({ type: 'progress', data: { step: `s${i}`, stepIndex: i, totalSteps: 13, percent: i, message: `s${i}` } });
const log = (i: number): JobEvent => ({ type: 'log', data: { timestamp: '2026-03-01T12:00:00.000Z', level: 'info', step: `s${i}`, message: `line ${i}` } });
const terminals: JobEvent[] = [
  { type: 'completed', data: { tenantId: 't1' } },
  { type: 'failed', data: { step: 's3', message: 'boom' } },
];

/** What can happen between the worker, Redis pub/sub and one client. */
const Action = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('append' as const), announce: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('deliver' as const), index: fc.nat(8), keep: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('drop' as const), index: fc.nat(8) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'disconnect' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'connect' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'beat' as const }), weight: 1 },
);

const Scenario = fc.record({
  events: fc.array(fc.oneof(fc.nat(12).map(progress), fc.nat(12).map(log)), { maxLength: 10 }),
  terminal: fc.constantFrom(...terminals),
  /** False: the worker died before recording its terminal event, and BullMQ has it. */
  recorded: fc.boolean(),
  actions: fc.array(Action, { maxLength: 40 }),
});

describe('SSE over a flaky pub/sub and reconnecting clients (property)', () => {
  it('a client sees the job history exactly: no gap, no repeat, ids increasing, and a resume after the end answers "over"', async () => {
    await fc.assert(
      fc.asyncProperty(Scenario, async ({ events, terminal, recorded, actions }) => {
        const job = flakyJobEvents();
        const client = sseClient(job.sources);
        const plan = [...events, terminal];
        let next = 0;
        const appendNext = (announce: boolean) => {
          const event = plan[next];
          if (event === undefined) return;
          next += 1;
          // The worker records its terminal event, then BullMQ marks the job finished.
          if (event === terminal && !recorded) return job.finish(terminal);
          job.append(event, { announce });
          if (event === terminal) job.finish(terminal);
        };
        try {
          for (const action of actions) {
            if (action.kind === 'append') appendNext(action.announce);
            else if (action.kind === 'deliver') job.deliver(action.index, { keep: action.keep });
            else if (action.kind === 'drop') job.drop(action.index);
            else if (action.kind === 'disconnect') await client.disconnect();
            else if (action.kind === 'connect') await client.connect();
            else await client.beat();
            await settle();
          }
          // The job runs to its end whatever pub/sub does; then the client follows until the server says it is over.
          while (next < plan.length) appendNext(false);
          for (let attempt = 0; attempt < 4 && !client.over(); attempt += 1) {
            await client.connect();
            await client.beat();
          }
          expect(client.over(), `outcomes ${client.outcomes.join(', ')}`).toBe(true);
          expect(sseMismatch(client.seen, expectedEvents(job.history, terminal))).toBeUndefined();
          // The end is the end: resuming again sends nothing more.
          const seen = client.seen.length;
          await client.connect();
          expect(client.over()).toBe(true);
          expect(client.seen).toHaveLength(seen);
          expect(job.subscribers()).toBe(0);
        } finally {
          await client.disconnect();
        }
      }),
      { numRuns: 300 },
    );
  });
});
