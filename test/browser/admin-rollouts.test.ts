import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../scripts/dev-token.ts';
import { ownPrefixes, writeConfigOverride } from '../support/config-override.ts';
import { TEST_JWT_SECRET } from '../support/service-deps.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { CHROMIUM_INSTALL_MS, launchChromium } from './chromium.ts';
import { serviceCalls } from './service-calls.ts';

// The admin page's rollout view against the whole service (`provisioner all`: API, worker and the
// rollout sweep, ticking every second) on its own namespace prefix, so the rollout plans over this
// file's two tenants only.
const ARTEFACTS = 'test-results';
let service: Awaited<ReturnType<typeof startServiceProcess>>;
let browser: Browser;
let token: string;
const created: string[] = [];

const { call, jobEnds } = serviceCalls(() => ({ baseUrl: service.baseUrl, token }));

beforeAll(async () => {
  browser = await launchChromium();
}, CHROMIUM_INSTALL_MS);

beforeAll(async () => {
  const config = writeConfigOverride({ ...ownPrefixes('bro'), provisioning: { rollouts: { tickSeconds: 1 } } });
  service = await startServiceProcess({
    kubeconfig: inject('kubeconfig'),
    redisUrl: inject('redisUrl'),
    env: { ADMIN_INSECURE_COOKIES: 'true', CONFIG_FILE: config },
  });
  token = await mintDevToken(TEST_JWT_SECRET, 1);
  await mkdir(ARTEFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  const removals = await Promise.all(created.map((id) => call(`/api/provisioning/${id}/deprovision`, { method: 'POST' })));
  // Through the service's own worker, before it stops.
  await Promise.all(removals.map((r) => (r.status === 202 ? jobEnds(r.body['jobId'] as string, 120_000).catch(() => undefined) : undefined)));
  await service?.stop();
}, 180_000);

describe('admin page: rollouts', () => {
  it('follows a real rollout live, wave by wave, pauses and resumes it, and shows the version skew after it', async () => {
    // Two tenants, then a rollout to v2: a canary, then the other one.
    const accepted = await Promise.all(
      ['Rollout Garage A', 'Rollout Garage B'].map((companyName) =>
        call('/api/provisioning/provision', {
          body: { companyName, ownerEmail: 'owner@example.com', ownerFirstName: 'Ada', ownerLastName: 'Lovelace', subscriptionTier: 'free' },
        }),
      ),
    );
    for (const a of accepted) {
      expect(a.status).toBe(202);
      created.push(a.body['tenantId'] as string);
    }
    for (const a of accepted) expect(await jobEnds(a.body['jobId'] as string, 300_000)).toBe('completed');

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${service.baseUrl}/admin/login`);
    await page.fill('#token', token);
    await page.click('#sign-in');
    await page.waitForURL(`${service.baseUrl}/admin`);
    // The skew before: both tenants on the app version they were provisioned with.
    await expect.poll(() => page.locator('#fleet tr').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.textContent('#fleet tr td:nth-child(3)')).toBe('2');

    const rollout = await call('/api/rollouts', {
      body: { target: { appVersion: 'v2' }, strategy: { canary: { count: 1 }, waves: ['100%'], maxParallel: 1, bakeSeconds: 3 } },
    });
    expect(rollout.status).toBe(202);
    const rolloutId = rollout.body['id'] as string;
    await page.click('#refresh-rollouts');
    await page.click(`tr[data-rollout="${rolloutId}"]`);
    await page.waitForSelector('#rollout:not([hidden])');
    // Every text the page showed for the tenants' progress, as the stream delivered it (no reload),
    // from what it shows when the observer starts: the canary may already be updating by then.
    // (A script string: this file is typed without the DOM library.)
    await page.evaluate(`{
      const totals = document.getElementById('rollout-totals');
      window.seen = [totals.textContent];
      new MutationObserver(() => window.seen.push(totals.textContent)).observe(totals, { childList: true, characterData: true, subtree: true });
    }`);
    const wave = (name: string) => page.locator(`.wave[data-wave="${name}"] [role=progressbar]`);
    await expect.poll(() => wave('canary').getAttribute('aria-valuenow'), { timeout: 120_000 }).toBe('1');
    await page.screenshot({ path: `${ARTEFACTS}/admin-rollout-canary.png`, fullPage: true });

    // Pause and resume with the page's buttons; the state comes back over the stream.
    await page.click('[data-rollout-action=pause]');
    await expect.poll(() => page.textContent('#rollout-state'), { timeout: 10_000 }).toBe('paused');
    expect(await page.isDisabled('[data-rollout-action=pause]')).toBe(true);
    await page.click('[data-rollout-action=resume]');
    await expect.poll(() => page.textContent('#rollout-state'), { timeout: 10_000 }).toBe('running');

    await expect.poll(() => page.textContent('#rollout-state'), { timeout: 180_000 }).toBe('completed');
    expect(await wave('canary').getAttribute('aria-valuenow')).toBe('1');
    expect(await wave('wave-1').getAttribute('aria-valuenow')).toBe('1');
    expect(await page.textContent('#rollout-reason')).toBe('every wave passed');
    expect(await page.textContent('#rollout-totals')).toBe('2 succeeded, 0 failed, 0 updating, 0 waiting of 2');
    expect(await page.isDisabled('[data-rollout-action=abort]')).toBe(true);
    const seen = (await page.evaluate('window.seen')) as string[];
    expect(seen).toContain('0 succeeded, 0 failed, 1 updating, 1 waiting of 2');
    expect(seen).toContain('1 succeeded, 0 failed, 0 updating, 1 waiting of 2');
    expect(seen.at(-1)).toBe('2 succeeded, 0 failed, 0 updating, 0 waiting of 2');
    // The finished event reloads the list and the skew: both tenants on v2 now.
    await expect.poll(() => page.textContent(`tr[data-rollout="${rolloutId}"] td:nth-child(3)`), { timeout: 10_000 }).toBe('completed');
    await expect.poll(() => page.textContent('#fleet tr td:nth-child(2)'), { timeout: 10_000 }).toBe('v2');
    expect(await page.textContent('#fleet tr td:nth-child(3)')).toBe('2');
    await page.screenshot({ path: `${ARTEFACTS}/admin-rollout.png`, fullPage: true });
    await page.close();
  });
});
