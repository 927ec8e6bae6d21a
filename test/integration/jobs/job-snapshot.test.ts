import { randomUUID } from 'node:crypto';
import { FlowProducer, type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import { createJobHistory, historyStreamKey, type JobHistory } from '../../../src/jobs/job-history.ts';
import { readJobSnapshot } from '../../../src/jobs/job-snapshot.ts';

// The one-round-trip read (from a BullMQ Queue) against BullMQ's own API, one call at
// a time (a queue that is not a Queue instance), for a job in each state BullMQ can report.
const prefix = `snap${randomUUID().slice(0, 8)}`;
let redis: Redis;
let workerRedis: Redis;
let queue: Queue;
let worker: Worker;
let flows: FlowProducer;
let history: JobHistory;

const stepwise = () => ({ getJob: (id: string) => queue.getJob(id) });
const fields = (job: Job) => ({
  name: job.name,
  data: job.data,
  progress: job.progress,
  returnvalue: job.returnvalue,
  failedReason: job.failedReason,
  timestamp: job.timestamp,
  processedOn: job.processedOn,
  finishedOn: job.finishedOn,
  attemptsStarted: job.attemptsStarted,
  attemptsMade: job.attemptsMade,
});

async function expectSameAsBullMQ(jobId: string, state: string | undefined) {
  const getJob = vi.spyOn(queue, 'getJob');
  const fast = await readJobSnapshot(queue, history, jobId);
  expect(getJob).not.toHaveBeenCalled();
  getJob.mockRestore();
  const slow = await readJobSnapshot(stepwise(), history, jobId);
  expect(fast?.state).toBe(state);
  expect(slow?.state).toBe(state);
  if (!fast || !slow) return;
  expect(fields(fast.job)).toEqual(fields(slow.job));
  expect(fast.events).toEqual(slow.events);
}

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  workerRedis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  queue = new Queue(OPERATIONS_QUEUE, { connection: redis, prefix });
  worker = new Worker(OPERATIONS_QUEUE, null, { connection: workerRedis, prefix, autorun: false });
  flows = new FlowProducer({ connection: redis, prefix });
  history = createJobHistory(redis, { prefix });
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await flows?.close();
  await worker?.close();
  await queue?.close();
  await workerRedis?.quit();
  await redis?.quit();
});

describe('readJobSnapshot in one round trip', () => {
  it('reads a waiting job with its whole history, as BullMQ and the history read it', async () => {
    const jobId = randomUUID();
    await queue.add('provision', { tenantId: 'snap-a' }, { jobId });
    const events: JobEvent[] = [
      { type: 'progress', data: { step: 'validate', stepIndex: 0, totalSteps: 13, percent: 0, message: 'validate started' } },
      { type: 'log', data: { timestamp: '2026-03-01T12:00:01.000Z', level: 'info', step: 'validate', message: 'ok' } },
      { type: 'failed', data: { step: 'validate', message: 'no' } },
    ];
    for (const event of events) await history.append(jobId, event);
    const snapshot = await readJobSnapshot(queue, history, jobId);
    expect(snapshot?.events.map(({ type, data }) => ({ type, data }))).toEqual(events);
    expect(snapshot?.events.every((e) => e.jobId === jobId && /^\d+-\d+$/.test(e.id))).toBe(true);
    await expectSameAsBullMQ(jobId, 'waiting');
  });

  it('skips an event type it does not know (a newer worker during a rolling upgrade)', async () => {
    const jobId = randomUUID();
    await queue.add('provision', { tenantId: 'snap-b' }, { jobId });
    await redis.xadd(historyStreamKey(prefix, jobId), '*', 'type', 'paused', 'data', '{}');
    await history.append(jobId, { type: 'completed', data: { ok: true } });
    expect((await readJobSnapshot(queue, history, jobId))?.events.map((e) => e.type)).toEqual(['completed']);
    await expectSameAsBullMQ(jobId, 'waiting');
  });

  it('reports delayed, prioritized and waiting-children as BullMQ does', async () => {
    const delayed = randomUUID();
    await queue.add('provision', { tenantId: 'snap-c' }, { jobId: delayed, delay: 60_000 });
    await expectSameAsBullMQ(delayed, 'delayed');
    const prioritized = randomUUID();
    await queue.add('provision', { tenantId: 'snap-d' }, { jobId: prioritized, priority: 5 });
    await expectSameAsBullMQ(prioritized, 'prioritized');
    const parent = await flows.add({
      name: 'provision',
      queueName: OPERATIONS_QUEUE,
      data: { tenantId: 'snap-e' },
      children: [{ name: 'update', queueName: OPERATIONS_QUEUE, data: {} }],
    });
    await expectSameAsBullMQ(parent.job.id!, 'waiting-children');
  });

  it('follows a job through active, completed and failed', async () => {
    await queue.obliterate({ force: true });
    const done = randomUUID();
    await queue.add('provision', { tenantId: 'snap-f' }, { jobId: done });
    const token = randomUUID();
    const active = (await worker.getNextJob(token, { block: false })) as Job;
    expect(active.id).toBe(done);
    await active.updateProgress({ step: 'deploy-chart', stepIndex: 3, totalSteps: 13, percent: 23, message: 'deploying' });
    await expectSameAsBullMQ(done, 'active');
    await active.moveToCompleted({ tenantUrl: 'https://snap-f.example.com' }, token, false);
    await expectSameAsBullMQ(done, 'completed');
    const failing = randomUUID();
    await queue.add('provision', { tenantId: 'snap-g' }, { jobId: failing });
    const next = (await worker.getNextJob(token, { block: false })) as Job;
    await next.moveToFailed(new Error('helm upgrade failed'), token, false);
    await expectSameAsBullMQ(failing, 'failed');
  });

  it('finds nothing for a missing job or one in no state', async () => {
    await expectSameAsBullMQ(randomUUID(), undefined);
    const stray = randomUUID();
    await queue.add('provision', { tenantId: 'snap-h' }, { jobId: stray });
    await redis.lrem(queue.toKey('wait'), 0, stray);
    await expectSameAsBullMQ(stray, undefined);
  });
});
