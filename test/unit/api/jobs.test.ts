import { describe, expect, it } from 'vitest';
import type { JobView } from '../../../src/api/jobs/jobs.schemas.ts';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import { eventIdAfter } from '../../../src/jobs/job-history.ts';
import { problemOf, testApp, type TestApp } from './support/harness.ts';
import { readSse, type SseMessage } from './support/sse.ts';

const progress = (stepIndex: number, step = `step-${stepIndex}`): JobEvent => ({
  type: 'progress',
  data: { step, stepIndex, totalSteps: 13, percent: Math.floor((stepIndex / 13) * 100), message: `${step} done` },
});
const log = (message: string, step = 'deploy'): JobEvent => ({
  type: 'log',
  data: { timestamp: '2026-03-01T12:00:01.000Z', level: 'info', step, message },
});

function seedJob(t: TestApp, id: string, state: 'waiting' | 'active' | 'completed' | 'failed' | 'delayed' | 'prioritized' | 'waiting-children', extra = {}) {
  return t.queue.put({ id, name: 'provision', data: { tenantId: 'acme-main' }, state, timestamp: 1_767_225_600_000, ...extra });
}

const ends = (messages: SseMessage[]) => messages.some((m) => m.event === 'completed' || m.event === 'failed');

describe('GET /api/jobs/{jobId}', () => {
  it.each(['waiting', 'delayed', 'prioritized', 'waiting-children'] as const)('shows BullMQ %s as queued', async (state) => {
    const t = await testApp();
    seedJob(t, 'j1', state);
    const view = (await (await t.call('/api/jobs/j1')).json()) as JobView;
    expect(view).toMatchObject({
      jobId: 'j1',
      type: 'provision',
      tenantId: 'acme-main',
      state: 'queued',
      attempt: 0,
      progress: null,
      log: [],
      result: null,
      error: null,
      startedAt: null,
      finishedAt: null,
    });
    expect(view.createdAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it("shows an active job's progress and log", async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'active', { progress: progress(3).data, processedOn: 1_767_225_601_000, attemptsStarted: 1 });
    t.events.append('j1', log('installing chart'));
    t.events.append('j1', progress(3));
    const view = (await (await t.call('/api/jobs/j1')).json()) as JobView;
    expect(view).toMatchObject({
      state: 'active',
      attempt: 1,
      progress: progress(3).data,
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: null,
      log: [{ timestamp: '2026-03-01T12:00:01.000Z', level: 'info', step: 'deploy', message: 'installing chart' }],
    });
  });

  it("shows a completed job's result", async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'completed', { returnvalue: { tenantUrl: 'https://acme-main.example.com' }, finishedOn: 1_767_225_700_000 });
    const view = (await (await t.call('/api/jobs/j1')).json()) as JobView;
    expect(view).toMatchObject({
      state: 'completed',
      result: { tenantUrl: 'https://acme-main.example.com' },
      error: null,
      finishedAt: '2026-01-01T00:01:40.000Z',
    });
  });

  it("takes a failed job's error from its history, else from BullMQ", async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'failed', { failedReason: 'helm upgrade failed: boom', progress: progress(4, 'deploy-chart').data });
    expect(((await (await t.call('/api/jobs/j1')).json()) as JobView).error).toEqual({ step: 'deploy-chart', message: 'helm upgrade failed: boom' });
    t.events.append('j1', { type: 'failed', data: { step: 'wait-for-database', message: 'database not ready after 300 s' } });
    expect(((await (await t.call('/api/jobs/j1')).json()) as JobView).error).toEqual({ step: 'wait-for-database', message: 'database not ready after 300 s' });
  });

  it('answers 404 for an unknown job and 422 for a malformed id', async () => {
    const t = await testApp();
    await problemOf(await t.call('/api/jobs/nope'), 404);
    await problemOf(await t.call('/api/jobs/a%20b'), 422);
  });

  it('answers 503 when Redis does not answer', async () => {
    const t = await testApp();
    t.queue.getJob = async () => {
      throw new Error('Connection is closed.');
    };
    await problemOf(await t.call('/api/jobs/j1'), 503);
  });
});

describe('GET /api/jobs/{jobId}/events', () => {
  it("replays a finished job's history and terminal event, then closes", async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'completed', { returnvalue: { ok: true } });
    const a = t.events.append('j1', progress(1));
    const b = t.events.append('j1', log('done'));
    const c = t.events.append('j1', { type: 'completed', data: { ok: true } });
    const res = await t.call('/api/jobs/j1/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const messages = await readSse(res.body!, () => false);
    expect(messages).toEqual([
      { event: 'progress', id: a.id, data: JSON.stringify(progress(1).data) },
      { event: 'log', id: b.id, data: JSON.stringify(log('done').data) },
      { event: 'completed', id: c.id, data: '{"ok":true}' },
    ]);
    expect(t.events.hub.subscriberCount()).toBe(0);
  });

  it('resumes after Last-Event-ID (header over query) with no gap and no duplicate', async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'failed', { failedReason: 'x' });
    const stored = [progress(1), progress(2), progress(3), { type: 'failed', data: { step: 'step-3', message: 'x' } } as JobEvent].map((e) =>
      t.events.append('j1', e),
    );
    const ids = (messages: SseMessage[]) => messages.map((m) => m.id);
    const viaHeader = await t.call(`/api/jobs/j1/events?lastEventId=${stored[0]!.id}`, { headers: { 'Last-Event-ID': stored[1]!.id } });
    expect(ids(await readSse(viaHeader.body!, () => false))).toEqual([stored[2]!.id, stored[3]!.id]);
    const viaQuery = await t.call(`/api/jobs/j1/events?lastEventId=${stored[0]!.id}`);
    expect(ids(await readSse(viaQuery.body!, () => false))).toEqual(stored.slice(1).map((s) => s.id));
  });

  it('streams live events after the history and ends with the terminal event', async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'active');
    const first = t.events.append('j1', progress(1));
    const res = await t.call('/api/jobs/j1/events');
    const reading = readSse(res.body!, ends);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = t.events.append('j1', progress(2));
    const done = t.events.append('j1', { type: 'completed', data: { tenantId: 'acme-main' } });
    expect((await reading).map((m) => m.id)).toEqual([first.id, second.id, done.id]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(t.events.hub.subscriberCount()).toBe(0);
  });

  it("synthesizes the terminal event of a job BullMQ finished but whose history has none, with the id after the history's last", async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'failed', { failedReason: 'worker lost', progress: progress(5, 'wait-for-api').data });
    const last = t.events.append('j1', progress(5, 'wait-for-api'));
    const messages = await readSse((await t.call('/api/jobs/j1/events')).body!, () => false);
    expect(messages.at(-1)).toEqual({ event: 'failed', id: eventIdAfter(last.id), data: JSON.stringify({ step: 'wait-for-api', message: 'worker lost' }) });
    // A resume after the synthesized event is over too.
    const again = await t.call('/api/jobs/j1/events', { headers: { 'Last-Event-ID': messages.at(-1)!.id! } });
    expect(again.status).toBe(204);
  });

  it('answers 204 with no body to a resume after the terminal event (header or query), so EventSource stops reconnecting', async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'completed', { returnvalue: { ok: true } });
    t.events.append('j1', progress(1));
    const end = t.events.append('j1', { type: 'completed', data: { ok: true } });
    for (const res of [
      await t.call('/api/jobs/j1/events', { headers: { 'Last-Event-ID': end.id } }),
      await t.call(`/api/jobs/j1/events?lastEventId=${end.id}`),
    ]) {
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
    }
    expect(t.events.hub.subscriberCount()).toBe(0);
  });

  it('documents the 204 in the OpenAPI document', async () => {
    const t = await testApp();
    const doc = (await (await t.call('/openapi.json', { token: null })).json()) as { paths: Record<string, { get: { responses: Record<string, unknown> } }> };
    expect(Object.keys(doc.paths['/api/jobs/{jobId}/events']!.get.responses)).toContain('204');
  });

  it('sends heartbeat comments and unsubscribes when the client goes away', async () => {
    const t = await testApp({ config: (c) => void (c.sse.heartbeatSeconds = 1) });
    seedJob(t, 'j1', 'active');
    const res = await t.call('/api/jobs/j1/events');
    const messages = await readSse(res.body!, (m) => m.some((x) => x.comment === 'heartbeat'), 3_000);
    expect(messages.some((m) => m.comment === 'heartbeat')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.events.hub.subscriberCount()).toBe(0);
  });

  it('answers HEAD with the stream headers only, following nothing', async () => {
    const t = await testApp();
    seedJob(t, 'j1', 'active');
    const res = await t.call('/api/jobs/j1/events', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await res.text()).toBe('');
    expect(t.events.hub.subscriberCount()).toBe(0);
  });

  it('ends open streams when the process shuts down', async () => {
    const shutdown = new AbortController();
    const t = await testApp({ deps: { shutdown: shutdown.signal } });
    seedJob(t, 'j1', 'active');
    const res = await t.call('/api/jobs/j1/events');
    const reading = readSse(res.body!, () => false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.events.hub.subscriberCount()).toBe(1);
    shutdown.abort();
    expect(await reading).toEqual([]);
    expect(t.events.hub.subscriberCount()).toBe(0);
  });

  it('answers 404 for an unknown job and 422 for a malformed Last-Event-ID', async () => {
    const t = await testApp();
    await problemOf(await t.call('/api/jobs/nope/events'), 404);
    seedJob(t, 'j1', 'active');
    await problemOf(await t.call('/api/jobs/j1/events', { headers: { 'Last-Event-ID': 'garbage' } }), 422);
    await problemOf(await t.call('/api/jobs/j1/events?lastEventId=1-2-3'), 422);
    expect(t.events.hub.subscriberCount()).toBe(0);
  });
});
