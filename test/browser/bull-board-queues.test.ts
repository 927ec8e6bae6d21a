import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../scripts/dev-token.ts';
import { BILLING_SCHEDULES_QUEUE } from '../../src/billing/billing-schedules.ts';
import { OPERATIONS_QUEUE } from '../../src/jobs/job-catalog.ts';
import { MAINTENANCE_QUEUE } from '../../src/jobs/sweep-catalog.ts';
import { TEST_JWT_SECRET } from '../support/service-deps.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { CHROMIUM_INSTALL_MS, launchChromium } from './chromium.ts';

// Bull Board as the service composes it (`provisioner all`): every queue the service uses is on it,
// each behind the admin surface's one policy (signed-in session to read, the CSRF header to change).
const ARTEFACTS = 'test-results';
const QUEUES = [OPERATIONS_QUEUE, MAINTENANCE_QUEUE, BILLING_SCHEDULES_QUEUE];
let service: Awaited<ReturnType<typeof startServiceProcess>>;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, CHROMIUM_INSTALL_MS);

beforeAll(async () => {
  service = await startServiceProcess({ kubeconfig: inject('kubeconfig'), redisUrl: inject('redisUrl'), env: { ADMIN_INSECURE_COOKIES: 'true' } });
  await mkdir(ARTEFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('Bull Board queues', () => {
  it('lists the operations, maintenance sweep and billing schedule queues, and changes each only with the CSRF header', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${service.baseUrl}/admin/login`);
    await page.fill('#token', await mintDevToken(TEST_JWT_SECRET, 1));
    await page.click('#sign-in');
    await page.waitForURL(`${service.baseUrl}/admin`);
    await page.goto(`${service.baseUrl}/admin/queues`);
    for (const name of QUEUES) await page.getByRole('link', { name, exact: true }).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTEFACTS}/bull-board-queues.png`, fullPage: true });

    const listed = (await (await context.request.get(`${service.baseUrl}/admin/queues/api/queues`)).json()) as {
      queues: Array<{ name: string; readOnlyMode: boolean }>;
    };
    expect(listed.queues.map((q) => q.name).sort()).toEqual([...QUEUES].sort());
    // The same policy as the operations queue: none is read-only on the board, none writable without the header.
    expect(listed.queues.map((q) => q.readOnlyMode)).toEqual([false, false, false]);

    const anonymous = await browser.newContext();
    for (const name of QUEUES) {
      const change = `${service.baseUrl}/admin/queues/api/queues/${name}/clean/failed`;
      expect((await anonymous.request.get(`${service.baseUrl}/admin/queues/api/queues?activeQueue=${name}`)).status(), name).toBe(401);
      expect((await anonymous.request.put(change, { headers: { 'x-tp-session': '1' } })).status(), name).toBe(401);
      expect((await context.request.put(change)).status(), name).toBe(403);
      expect((await context.request.put(change, { headers: { 'x-tp-session': '1' } })).status(), name).toBe(200);
    }
    await anonymous.close();
    await context.close();
  });
});
