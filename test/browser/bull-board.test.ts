import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAdminRoutes } from '../../src/api/admin/admin.routes.ts';
import { createJwtVerifier } from '../../src/api/auth/jwt-verifier.ts';
import { OPERATIONS_QUEUE } from '../../src/jobs/job-catalog.ts';
import { testConfig } from '../unit/api/support/config.ts';
import { mintToken } from '../unit/api/support/tokens.ts';
import { CHROMIUM_INSTALL_MS, launchChromium } from './chromium.ts';

// Bull Board's own UI, in Chromium, still changes jobs now that its changes need the CSRF header:
// the admin routes as composed (plain-HTTP development cookies), a real queue in this run's Redis.
const redisUrl = inject('redisUrl');
const prefix = `bb${randomBytes(4).toString('hex')}`;
let browser: Browser;
let server: ServerType;
let baseUrl: string;
let connection: Redis;
let queue: Queue;

beforeAll(async () => {
  browser = await launchChromium();
}, CHROMIUM_INSTALL_MS);

beforeAll(async () => {
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue(OPERATIONS_QUEUE, { connection, prefix });
  const config = testConfig(undefined, { ADMIN_INSECURE_COOKIES: 'true' });
  const app = new Hono().route(
    '/admin',
    createAdminRoutes({ verifier: createJwtVerifier(config.auth), queues: [queue], insecureCookies: config.admin.insecureCookies }),
  );
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await connection?.quit();
});

async function failedJob(): Promise<string> {
  const job = await queue.add('provision', { tenantId: 'ui-a1b2c3' }, { attempts: 1 });
  // BullMQ never closes a connection it is given: this one is quit below.
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

describe('Bull Board in the browser', () => {
  it('retries a failed job from its own UI (the page adds the CSRF header); the same request without it is refused', async () => {
    const jobId = await failedJob();
    const context = await browser.newContext();
    const page = await context.newPage();
    const answers: string[] = [];
    page.on('response', (r) => {
      const request = r.request();
      if (request.method() === 'PUT') answers.push(`PUT ${new URL(r.url()).pathname} ${r.status()} csrf=${request.headers()['x-tp-session'] ?? '-'}`);
    });
    await page.goto(`${baseUrl}/admin/login`);
    await page.fill('#token', await mintToken());
    await page.click('#sign-in');
    await page.waitForURL(`${baseUrl}/admin`);
    expect((await context.cookies()).find((c) => c.name === 'tp_session')).toMatchObject({ httpOnly: true, secure: false });

    // A forged change riding on the cookie alone (no header): refused, the job stays failed.
    const forged = await context.request.put(`${baseUrl}/admin/queues/api/queues/${OPERATIONS_QUEUE}/retry/failed`);
    expect(forged.status()).toBe(403);
    expect(await queue.getJobState(jobId)).toBe('failed');

    await page.goto(`${baseUrl}/admin/queues/queue/${OPERATIONS_QUEUE}?status=failed`);
    await page.getByRole('button', { name: 'Retry all' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => queue.getJobState(jobId), { timeout: 10_000 }).toBe('waiting');
    await expect.poll(() => answers).toEqual([`PUT /admin/queues/api/queues/${OPERATIONS_QUEUE}/retry/failed 200 csrf=1`]);
    await page.screenshot({ path: 'test-results/bull-board-retried.png', fullPage: true });
    await context.close();
  });
});
