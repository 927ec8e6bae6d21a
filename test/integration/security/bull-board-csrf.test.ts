import { randomBytes } from 'node:crypto';
import { appRoutes } from '@bull-board/api/dist/routes.js';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAdminRoutes } from '../../../src/api/admin/admin.routes.ts';
import { BOARD_SESSION_SCRIPT } from '../../../src/api/admin/bull-board-session.ts';
import { createJwtVerifier } from '../../../src/api/auth/jwt-verifier.ts';
import { CSRF_HEADER } from '../../../src/api/auth/session-cookie.ts';
import { OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import { testConfig } from '../../unit/api/support/config.ts';
import { mintToken } from '../../unit/api/support/tokens.ts';

// Bull Board's changes need the CSRF header, like the API's: the admin routes as the composition
// root mounts them, over a real BullMQ queue in this run's Redis (own prefix), with a session cookie
// obtained by signing in. Without the header every change is a 403 problem and no job moves; with
// it, Bull Board works. Its pages carry the script that makes its own UI send the header.
const redisUrl = inject('redisUrl');
const prefix = `csrf${randomBytes(4).toString('hex')}`;
let connection: Redis;
let queue: Queue;
let app: Hono;
let cookie: string;
let failedId: string;
let delayedId: string;

const board = (path: string) => `http://provisioner.test/admin/queues${path}`;

async function failOneJob(): Promise<string> {
  const job = await queue.add('provision', { tenantId: 'csrf-a1b2c3' }, { attempts: 1 });
  // BullMQ never closes a connection it is handed: this one is quit below.
  const workerConnection = connection.duplicate();
  const worker = new Worker(
    OPERATIONS_QUEUE,
    async () => {
      throw new UnrecoverableError('fails on purpose');
    },
    { connection: workerConnection, prefix, autorun: false },
  );
  const failed = new Promise<void>((resolve) => worker.on('failed', (j) => j?.id === job.id && resolve()));
  void worker.run();
  await failed;
  await worker.close();
  await workerConnection.quit();
  return job.id!;
}

beforeAll(async () => {
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue(OPERATIONS_QUEUE, { connection, prefix });
  const config = testConfig();
  app = new Hono().route('/admin', createAdminRoutes({ verifier: createJwtVerifier(config.auth), queues: [queue] }));
  const signIn = await app.request('http://provisioner.test/admin/session', { method: 'POST', headers: { Authorization: `Bearer ${await mintToken()}` } });
  expect(signIn.status).toBe(204);
  cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
  failedId = await failOneJob();
  delayedId = (await queue.add('provision', { tenantId: 'csrf-d4e5f6' }, { delay: 3_600_000 })).id!;
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await connection?.quit();
});

/** Everything a change could touch: the two jobs' states and the queue's pause flag and counts. */
async function snapshot() {
  return {
    failed: await queue.getJobState(failedId),
    delayed: await queue.getJobState(delayedId),
    paused: await queue.isPaused(),
    counts: await queue.getJobCounts(),
  };
}

describe('Bull Board changes', () => {
  it('without the CSRF header: every change route of Bull Board answers 403 problem+json, and nothing changes', async () => {
    const before = await snapshot();
    expect(before).toMatchObject({ failed: 'failed', delayed: 'delayed', paused: false });
    const fill = (route: string) =>
      route.replace(':queueName', OPERATIONS_QUEUE).replace(':jobId', failedId).replace(':queueStatus', 'failed').replace(':schedulerId', 'none');
    const changes = appRoutes.api.flatMap((r) =>
      [r.method]
        .flat()
        .filter((m) => m !== 'get')
        .flatMap((m) => [r.route].flat().map((route) => ({ method: m.toUpperCase(), route }))),
    );
    expect(changes.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    // The delayed job's promote and remove too, by id.
    const targets = [
      ...changes.map((c) => ({ ...c, path: fill(c.route) })),
      { method: 'PUT', route: 'promote delayed', path: `/api/queues/${OPERATIONS_QUEUE}/${delayedId}/promote` },
      { method: 'PUT', route: 'clean delayed', path: `/api/queues/${OPERATIONS_QUEUE}/${delayedId}/clean` },
    ];
    for (const t of targets) {
      const res = await app.request(board(t.path), { method: t.method, headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{}' });
      const body = (await res.json().catch(() => ({}))) as { status?: number; detail?: string };
      if (res.status !== 403 || res.headers.get('content-type') !== 'application/problem+json' || !body.detail?.includes(CSRF_HEADER)) {
        wrong.push(`${t.method} ${t.route}: ${res.status} ${res.headers.get('content-type')}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('with the header: retry and promote work', async () => {
    const headers = { Cookie: cookie, [CSRF_HEADER]: '1' };
    const retry = await app.request(board(`/api/queues/${OPERATIONS_QUEUE}/${failedId}/retry`), { method: 'PUT', headers });
    expect(retry.status).toBe(204);
    expect(await queue.getJobState(failedId)).toBe('waiting');
    const promote = await app.request(board(`/api/queues/${OPERATIONS_QUEUE}/${delayedId}/promote`), { method: 'PUT', headers });
    expect(promote.status).toBe(204);
    expect(await queue.getJobState(delayedId)).toBe('waiting');
    const clean = await app.request(board(`/api/queues/${OPERATIONS_QUEUE}/${delayedId}/clean`), { method: 'PUT', headers });
    expect(clean.status).toBe(204);
    expect(await queue.getJob(delayedId)).toBeUndefined();
  });

  it("reads need no header; the board's pages load the script that adds it, under our CSP", async () => {
    const queues = await app.request(board('/api/queues'), { headers: { Cookie: cookie } });
    expect(queues.status).toBe(200);
    for (const page of ['', `/queue/${OPERATIONS_QUEUE}`]) {
      const res = await app.request(board(page), { headers: { Cookie: cookie, Accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain(`<script src="/admin/queues/${BOARD_SESSION_SCRIPT}"></script></head>`);
    }
    const script = await app.request(board(`/${BOARD_SESSION_SCRIPT}`), { headers: { Cookie: cookie } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain(JSON.stringify(CSRF_HEADER));
    expect((await app.request(board(`/${BOARD_SESSION_SCRIPT}`))).status).toBe(401);
  });
});
