import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../scripts/dev-token.ts';
import { TEST_JWT_SECRET } from '../support/service-deps.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { CHROMIUM_INSTALL_MS, launchChromium } from './chromium.ts';

const ARTEFACTS = 'test-results';
let service: Awaited<ReturnType<typeof startServiceProcess>>;
let browser: Browser;
let token: string;
const created: string[] = [];

// First, before the service starts: on a fresh machine this installs Chromium, which takes minutes.
beforeAll(async () => {
  browser = await launchChromium();
}, CHROMIUM_INSTALL_MS);

beforeAll(async () => {
  // Plain HTTP on loopback, as `npm run dev` serves it: the session cookie may go without Secure.
  service = await startServiceProcess({ kubeconfig: inject('kubeconfig'), redisUrl: inject('redisUrl'), env: { ADMIN_INSECURE_COOKIES: 'true' } });
  token = await mintDevToken(TEST_JWT_SECRET, 1);
  await mkdir(ARTEFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  for (const tenantId of created) {
    await fetch(`${service.baseUrl}/api/provisioning/${tenantId}/deprovision`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  }
  await service?.stop();
});

describe('admin page', () => {
  it('signs in, provisions a tenant and shows its progress live until it is ready', async () => {
    const page = await browser.newPage();
    await page.goto(`${service.baseUrl}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', token);
    await page.click('#sign-in');
    await page.waitForURL(`${service.baseUrl}/admin`);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'tp_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    const company = `Browser Garage ${Date.now()}`;
    await page.fill('input[name=companyName]', company);
    await page.fill('input[name=ownerEmail]', 'owner@example.com');
    await page.fill('input[name=ownerFirstName]', 'Ada');
    await page.fill('input[name=ownerLastName]', 'Lovelace');
    await page.selectOption('select[name=subscriptionTier]', 'professional');
    await page.click('#provision button[type=submit]');

    await page.waitForSelector('#job:not([hidden])');
    const title = await page.textContent('#job-title');
    const tenantId = title!.replace('Provisioning ', '');
    created.push(tenantId);
    await expect.poll(() => page.getAttribute('#progress', 'aria-valuenow'), { timeout: 60_000 }).toBe('100');
    await expect.poll(() => page.textContent('#job-state')).toBe('completed');
    expect(await page.locator('#log li').count()).toBeGreaterThanOrEqual(13);
    await page.waitForSelector('#tenant:not([hidden])');
    await expect.poll(() => page.textContent('dd[data-fact="Phase"]'), { timeout: 10_000 }).toBe('ready');
    expect(await page.textContent('#tenant-id')).toBe(tenantId);
    await page.screenshot({ path: `${ARTEFACTS}/admin-provisioned.png`, fullPage: true });
    await page.close();
  });

  it('shows Bull Board only after signing in', async () => {
    const anonymous = await browser.newContext();
    const refused = await anonymous.newPage();
    const response = await refused.goto(`${service.baseUrl}/admin/queues`);
    expect(new URL(refused.url()).pathname).toBe('/admin/login');
    expect(response?.status()).toBe(200);
    const api = await anonymous.request.get(`${service.baseUrl}/admin/queues/api/queues`);
    expect(api.status()).toBe(401);
    await anonymous.close();

    const signedIn = await browser.newContext();
    const page = await signedIn.newPage();
    await page.goto(`${service.baseUrl}/admin/login`);
    await page.fill('#token', token);
    await page.click('#sign-in');
    await page.waitForURL(`${service.baseUrl}/admin`);
    await page.goto(`${service.baseUrl}/admin/queues`);
    expect(new URL(page.url()).pathname).toMatch(/^\/admin\/queues/);
    await page.waitForSelector('text=tenant-operations', { timeout: 15_000 });
    await page.screenshot({ path: `${ARTEFACTS}/bull-board.png` });
    await signedIn.close();
  });
});
