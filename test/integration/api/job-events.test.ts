import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobView } from '../../../src/api/jobs/jobs.schemas.ts';
import { OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import { eventIdAfter } from '../../../src/jobs/job-history.ts';
import { eventually } from '../../support/kube.ts';
import { readSse, type SseMessage } from '../../unit/api/support/sse.ts';
import { startApi, type ApiServer } from './support/api-server.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
let api: ApiServer;

const progress = (i: number): JobEvent => ({
  type: 'progress',
  data: { step: `step-${i}`, stepIndex: i, totalSteps: 13, percent: Math.floor((i / 13) * 100), message: `step-${i} done` },
});
const isTerminal = (m: SseMessage) => m.event === 'completed' || m.event === 'failed';

/** Appends to the job's Redis stream directly (the layout job-history.ts writes), without publishing. */
async function appendUnannounced(jobId: string, event: JobEvent): Promise<string> {
  const key = `${api.config.queue.prefix}:job-history:${jobId}`;
  return (await api.durable.xadd(key, '*', 'type', event.type, 'data', JSON.stringify(event.data)))!;
}

/**
 * Returns once every follower subscribed so far has finished the reconcile it starts with: a
 * history read on the API's `durable` connection, then the job's snapshot on its `redis`
 * connection, each sent on the macrotask after it was asked for (coalesced-reads.ts). A ping sent
 * after a macrotask on each connection, in that order, is answered after what the followers sent
 * there; a second round covers a follower whose read was itself waiting for a reply.
 */
async function followersSettled() {
  for (let round = 0; round < 2; round += 1) {
    for (const connection of [api.durable, api.redis]) {
      await new Promise((resolve) => setImmediate(resolve));
      await connection.ping();
    }
  }
  await new Promise((resolve) => setImmediate(resolve));
}

async function newJob() {
  const jobId = randomUUID();
  await api.queue.add('provision', { tenantId: 'sse-test' }, { jobId });
  return jobId;
}

beforeAll(async () => {
  api = await startApi({ kubeconfig, redisUrl });
});

afterAll(async () => {
  await api?.close();
});

describe('SSE against the real Redis history and hub', () => {
  it('resumes with Last-Event-ID after a disconnect, with no gap and no duplicate', async () => {
    const jobId = await newJob();
    const appended: string[] = [];
    const append = async (event: JobEvent) => appended.push((await api.history.append(jobId, event)).id);
    await append(progress(0));

    // First connection: history first, then events appended while it is open.
    const first = new AbortController();
    const res1 = await api.call(`/api/jobs/${jobId}/events`, { signal: first.signal });
    expect(res1.status).toBe(200);
    const reading1 = readSse(res1.body!, (m) => m.length >= 4);
    await sleep(50);
    for (let i = 1; i <= 5; i += 1) await append(progress(i));
    const seen1 = await reading1;
    first.abort();
    await eventually('the hub to drop the closed subscriber', async () => (api.hub.subscriberCount() === 0 ? true : undefined), 5_000);

    // While disconnected the job goes on.
    for (let i = 6; i <= 8; i += 1) await append(progress(i));

    // Reconnect after the last id received; more events arrive live, then the terminal one.
    const lastId = seen1.at(-1)!.id!;
    const res2 = await api.call(`/api/jobs/${jobId}/events`, { headers: { 'Last-Event-ID': lastId } });
    const reading2 = readSse(res2.body!, (m) => m.some(isTerminal));
    await sleep(50);
    for (let i = 9; i <= 12; i += 1) await append(progress(i));
    await append({ type: 'completed', data: { tenantId: 'sse-test' } });
    const seen2 = await reading2;

    const ids = [...seen1, ...seen2].map((m) => m.id);
    expect(ids).toEqual(appended);
    expect(new Set(ids).size).toBe(ids.length);
    expect(seen2.at(-1)).toEqual({ event: 'completed', id: appended.at(-1), data: '{"tenantId":"sse-test"}' });
    expect(JSON.parse(seen1[1]!.data!)).toEqual(progress(1).data);
    await eventually('no subscribers left', async () => (api.hub.subscriberCount() === 0 ? true : undefined), 5_000);
  });

  it("replays a finished job's history with ?lastEventId and closes", async () => {
    const jobId = await newJob();
    const ids: string[] = [];
    for (const event of [progress(0), progress(1), { type: 'failed', data: { step: 'step-1', message: 'chart rejected' } } as JobEvent]) {
      ids.push((await api.history.append(jobId, event)).id);
    }
    const res = await api.call(`/api/jobs/${jobId}/events?lastEventId=${ids[0]}`);
    const messages = await readSse(res.body!, () => false);
    expect(messages.map((m) => m.id)).toEqual(ids.slice(1));
    expect(messages.at(-1)).toMatchObject({ event: 'failed', data: JSON.stringify({ step: 'step-1', message: 'chart rejected' }) });
  });

  it('reads job state from BullMQ and synthesizes the terminal event a crashed worker did not record', async () => {
    const jobId = await newJob();
    await api.history.append(jobId, progress(12));
    // A real BullMQ worker on this file's prefix that finishes the job without recording history.
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker(OPERATIONS_QUEUE, async () => ({ tenantId: 'sse-test', durationMs: 1 }), { connection, prefix: api.config.queue.prefix });
    try {
      await eventually('the job to complete', async () => ((await (await api.queue.getJob(jobId))?.getState()) === 'completed' ? true : undefined), 20_000);
    } finally {
      await worker.close();
      await connection.quit();
    }
    const view = (await (await api.call(`/api/jobs/${jobId}`)).json()) as JobView;
    expect(view).toMatchObject({ state: 'completed', attempt: 1, result: { tenantId: 'sse-test', durationMs: 1 }, error: null });
    expect(view.finishedAt).not.toBeNull();
    const messages = await readSse((await api.call(`/api/jobs/${jobId}/events`)).body!, () => false);
    expect(messages.map((m) => m.event)).toEqual(['progress', 'completed']);
    // Numbered right after the history's last event, so a resume after it is answered 204.
    expect(messages[1]).toEqual({ event: 'completed', id: eventIdAfter(messages[0]!.id!), data: JSON.stringify({ tenantId: 'sse-test', durationMs: 1 }) });
    expect((await api.call(`/api/jobs/${jobId}/events`, { headers: { 'Last-Event-ID': messages[1]!.id! } })).status).toBe(204);
  });

  it('delivers an event whose announcement never reached the hub, once, in order, when the next one arrives', async () => {
    const jobId = await newJob();
    const appended: string[] = [];
    const res = await api.call(`/api/jobs/${jobId}/events`);
    let live!: () => void;
    const firstReceived = new Promise<void>((resolve) => (live = resolve));
    const reading = readSse(res.body!, (m) => {
      if (m.length > 0) live();
      return m.some(isTerminal);
    });
    await eventually('the stream to subscribe', async () => (api.hub.subscriberCount() === 1 ? true : undefined), 5_000);
    appended.push((await api.history.append(jobId, progress(0))).id);
    // The stream is live (past its first history read) before the gap is made.
    await firstReceived;
    // Recorded in the job's history but never published: a pub/sub message lost in a Redis reconnect.
    appended.push(await appendUnannounced(jobId, progress(1)));
    appended.push((await api.history.append(jobId, progress(2))).id);
    appended.push((await api.history.append(jobId, { type: 'completed', data: { tenantId: 'sse-test' } })).id);
    // Well within the 15 s heartbeat: the next announcement heals the gap, not the heartbeat.
    const seen = await reading;
    expect(seen.map((m) => m.id)).toEqual(appended);
    expect(seen.map((m) => m.event)).toEqual(['progress', 'progress', 'progress', 'completed']);
    expect(JSON.parse(seen[1]!.data!)).toEqual(progress(1).data);
  });

  it('answers 204 to a resume after the terminal event of a job BullMQ finished, and repeats nothing', async () => {
    const jobId = await newJob();
    const appended: string[] = [];
    // A real BullMQ worker on this file's prefix that records the history as the service's worker does.
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker(
      OPERATIONS_QUEUE,
      async (job) => {
        // Other tests' jobs wait in the same queue; only this one gets a history.
        if (job.id !== jobId) return {};
        appended.push((await api.history.append(jobId, progress(0))).id);
        appended.push((await api.history.append(jobId, { type: 'completed', data: { tenantId: 'sse-test' } })).id);
        return { tenantId: 'sse-test' };
      },
      { connection, prefix: api.config.queue.prefix },
    );
    try {
      await eventually('the job to complete', async () => ((await (await api.queue.getJob(jobId))?.getState()) === 'completed' ? true : undefined), 20_000);
    } finally {
      await worker.close();
      await connection.quit();
    }
    // A fresh connection gets the whole history, then the stream ends.
    const fresh = await readSse((await api.call(`/api/jobs/${jobId}/events`)).body!, () => false);
    expect(fresh.map((m) => m.id)).toEqual(appended);
    const end = appended.at(-1)!;
    for (const res of [
      await api.call(`/api/jobs/${jobId}/events`, { headers: { 'Last-Event-ID': end } }),
      await api.call(`/api/jobs/${jobId}/events?lastEventId=${end}`),
    ]) {
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
    }
    expect(api.hub.subscriberCount()).toBe(0);
  });

  it('shares one Redis subscription across many subscribers', async () => {
    const jobId = await newJob();
    const clients = Array.from({ length: 20 }, () => new AbortController());
    const before = Number(((await api.redis.call('PUBSUB', 'NUMSUB', api.history.channel)) as [string, number])[1]);
    const responses = await Promise.all(clients.map((c) => api.call(`/api/jobs/${jobId}/events`, { signal: c.signal })));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await eventually('20 subscribers', async () => (api.hub.subscriberCount() === 20 ? true : undefined), 5_000);
    const during = Number(((await api.redis.call('PUBSUB', 'NUMSUB', api.history.channel)) as [string, number])[1]);
    expect(during).toBe(before);
    for (const c of clients) c.abort();
    await eventually('subscribers released', async () => (api.hub.subscriberCount() === 0 ? true : undefined), 5_000);
  });

  it("takes an announced entry that follows the last one sent without a read, and reads once per gap for all of a job's subscribers in this process", async () => {
    const jobId = await newJob();
    const key = `${api.config.queue.prefix}:job-history:${jobId}`;
    const subscribers = 20;
    const clients = Array.from({ length: subscribers }, () => new AbortController());
    const responses = await Promise.all(clients.map((c) => api.call(`/api/jobs/${jobId}/events`, { signal: c.signal })));
    let firsts = 0;
    let firstAll!: () => void;
    const allHaveFirst = new Promise<void>((resolve) => (firstAll = resolve));
    const readings = responses.map((res) => {
      let counted = false;
      return readSse(res.body!, (m) => {
        if (m.length > 0 && !counted && (counted = true) && ++firsts === subscribers) firstAll();
        return m.length >= 3;
      });
    });
    await eventually(`${subscribers} subscribers`, async () => (api.hub.subscriberCount() === subscribers ? true : undefined), 5_000);
    // Not a sleep: a follower still in its first reconcile when the gap is announced reads it on its own.
    await followersSettled();
    // monitor() opens a connection of its own: both are closed below.
    const client = new Redis(redisUrl);
    const monitor = await client.monitor();
    const reads: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'xrange' && args[1] === key) reads.push(args);
    });
    try {
      // The first entry's announcement names the start of the history as the entry before it.
      const first = await api.history.append(jobId, progress(1));
      await allHaveFirst;
      expect(reads).toHaveLength(0);
      // An entry never announced: the next announcement names it, so every follower reads after `first`.
      const lost = await appendUnannounced(jobId, progress(2));
      const third = await api.history.append(jobId, progress(3));
      const seen = await Promise.all(readings);
      expect(seen.every((m) => m.map((e) => e.id).join() === [first.id, lost, third.id].join())).toBe(true);
      expect(reads).toHaveLength(1);
      expect(reads[0]![2]).toBe(`(${first.id}`);
    } finally {
      monitor.disconnect();
      client.disconnect();
      for (const c of clients) c.abort();
    }
    await eventually('subscribers released', async () => (api.hub.subscriberCount() === 0 ? true : undefined), 5_000);
  });

  it('ends an open stream when BullMQ fails the job without a terminal event in its history, with no heartbeat', async () => {
    const jobId = await newJob();
    const last = await api.history.append(jobId, progress(3));
    const res = await api.call(`/api/jobs/${jobId}/events`);
    const reading = readSse(res.body!, () => false, 10_000);
    await eventually('the stream to subscribe', async () => (api.hub.subscriberCount() === 1 ? true : undefined), 5_000);
    // A real BullMQ worker that fails the job without recording anything: a worker that lost its history connection.
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker(
      OPERATIONS_QUEUE,
      async (job) => {
        if (job.id === jobId) throw new UnrecoverableError('helm lost its release lock');
        return {};
      },
      { connection, prefix: api.config.queue.prefix },
    );
    try {
      const seen = await reading;
      expect(seen).toEqual([
        { event: 'progress', id: last.id, data: JSON.stringify(progress(3).data) },
        { event: 'failed', id: eventIdAfter(last.id), data: JSON.stringify({ step: 'unknown', message: 'helm lost its release lock' }) },
      ]);
    } finally {
      await worker.close();
      await connection.quit();
    }
    expect(api.hub.subscriberCount()).toBe(0);
  });

  it('answers 404 for a job Redis does not have', async () => {
    expect((await api.call(`/api/jobs/${randomUUID()}/events`)).status).toBe(404);
  });
});
