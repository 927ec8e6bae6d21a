import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../scripts/dev-token.ts';
import { ownPrefixes, writeConfigOverride } from '../support/config-override.ts';
import { TEST_JWT_SECRET } from '../support/service-deps.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { CHROMIUM_INSTALL_MS, launchChromium } from './chromium.ts';
import { serviceCalls } from './service-calls.ts';

// The admin page's view of a tenant's data against the whole service (`provisioner all`) on its own
// namespace prefix: backups and restores, the template mark, and safe offboarding. The professional
// tier has backups; its retention window is an hour here, so a closed account stays closed (and the
// expiry sweep leaves it) while the page works on it.
const ARTEFACTS = 'test-results';
const RETENTION_SECONDS = 3_600;
let service: Awaited<ReturnType<typeof startServiceProcess>>;
let browser: Browser;
let token: string;
const created: string[] = [];

const { call, jobEnds } = serviceCalls(() => ({ baseUrl: service.baseUrl, token }));

/** The job the page follows, by the title it gives it, until it ends; a failure shows the page's own message. */
async function pageJobCompletes(page: Page, title: string, timeout = 180_000) {
  await expect.poll(() => page.textContent('#job-title'), { timeout: 10_000 }).toBe(title);
  await expect.poll(() => page.textContent('#job-state'), { timeout }).toMatch(/^(completed|failed)/);
  expect(await page.textContent('#job-state')).toBe('completed');
}

beforeAll(async () => {
  browser = await launchChromium();
}, CHROMIUM_INSTALL_MS);

beforeAll(async () => {
  const config = writeConfigOverride({ ...ownPrefixes('brd'), tiers: { professional: { offboarding: { retentionSeconds: RETENTION_SECONDS } } } });
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
  // With force: a closed account refuses a plain deprovision. A tenant the test purged answers 404.
  const removals = await Promise.all(created.map((id) => call(`/api/provisioning/${id}/deprovision?force=true`, { method: 'POST' })));
  // Through the service's own worker, before it stops.
  await Promise.all(removals.map((r) => (r.status === 202 ? jobEnds(r.body['jobId'] as string, 120_000).catch(() => undefined) : undefined)));
  await service?.stop();
}, 180_000);

describe('admin page: tenant data', () => {
  it('takes a backup, marks a template, restores, closes, undeletes and purges a tenant, showing each on the page', async () => {
    const accepted = await call('/api/provisioning/provision', {
      body: { companyName: 'Data Garage', ownerEmail: 'owner@example.com', ownerFirstName: 'Ada', ownerLastName: 'Lovelace', subscriptionTier: 'professional' },
    });
    expect(accepted.status).toBe(202);
    const tenantId = accepted.body['tenantId'] as string;
    created.push(tenantId);
    expect(await jobEnds(accepted.body['jobId'] as string, 300_000)).toBe('completed');

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await page.goto(`${service.baseUrl}/admin/login`);
    await page.fill('#token', token);
    await page.click('#sign-in');
    await page.waitForURL(`${service.baseUrl}/admin`);
    const listed = `#tenants tr[data-tenant="${tenantId}"]`;
    await page.click(listed);
    await page.waitForSelector('#tenant:not([hidden])');
    await expect.poll(() => page.textContent('dd[data-fact="Phase"]'), { timeout: 10_000 }).toBe('ready');
    expect(await page.textContent('dd[data-fact="Template"]')).toBe('no');
    expect(await page.isHidden('[data-action=undelete]')).toBe(true);
    expect(await page.isHidden('[data-action=purge]')).toBe(true);

    // A backup from the page, listed as the operator reports it once its job completed.
    await page.click('#take-backup');
    await pageJobCompletes(page, `backup ${tenantId}`);
    const backups = (await call(`/api/tenants/${tenantId}/backups`)).body['backups'] as Array<Record<string, string>>;
    const taken = backups.find((b) => b['requestedBy'] === 'api')!;
    expect(taken).toMatchObject({ phase: 'completed', backupId: expect.stringMatching(/\S/) });
    const backupRow = page.locator(`#backups tr[data-backup="${taken['name']}"] td`);
    await expect
      .poll(() => backupRow.allTextContents(), { timeout: 10_000 })
      .toEqual([
        taken['name'],
        'completed',
        taken['startedAt']!.replace('T', ' ').slice(0, 19),
        taken['stoppedAt']!.replace('T', ' ').slice(0, 19),
        taken['backupId'],
        '',
      ]);
    await page.screenshot({ path: `${ARTEFACTS}/admin-data-backup.png`, fullPage: true });

    // Marked as a template: in the panel and in the Templates list, with the backup a clone would start from.
    await page.fill('#template-form input[name=description]', 'Demo garage with sample data');
    await page.click('#template-form button[type=submit]');
    await expect.poll(() => page.textContent('dd[data-fact="Template"]'), { timeout: 10_000 }).toMatch(/^Demo garage with sample data \(marked by /);
    const template = page.locator(`#templates tr[data-tenant="${tenantId}"] td`);
    await expect
      .poll(() => template.allTextContents(), { timeout: 10_000 })
      .toEqual([
        tenantId,
        'professional',
        'Demo garage with sample data',
        expect.stringMatching(/^\S+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        `${taken['backupId']} (${taken['stoppedAt']!.replace('T', ' ').slice(0, 19)})`,
      ]);

    // The restore form: the API's refusal shown as its problem says it, then a restore from the backup.
    await page.fill('#restore input[name=targetTime]', '2099-01-01T00:00:00');
    await page.click('#restore button[type=submit]');
    await expect.poll(() => page.textContent('#backups-error'), { timeout: 10_000 }).toContain('targetTime: is in the future');
    await page.fill('#restore input[name=targetTime]', '');
    await page.selectOption('#restore select[name=backupId]', taken['backupId']!);
    await page.click('#restore button[type=submit]');
    await pageJobCompletes(page, `restore ${tenantId}`);
    expect(dialogs.at(-1)).toContain(`Restore the database of ${tenantId} to ${taken['backupId']}?`);
    await expect.poll(() => page.textContent('dd[data-fact="Phase"]'), { timeout: 10_000 }).toBe('ready');

    // Deprovision closes it: closed, kept until the date its close recorded, in the list and the panel.
    const closeAndCheck = async () => {
      await page.click('[data-action=deprovision]');
      await pageJobCompletes(page, `deprovision ${tenantId}`);
      const closeJob = ((await call(`/api/provisioning/${tenantId}/status`)).body['operation'] as Record<string, string>)['jobId'];
      const closedUntil = ((await call(`/api/jobs/${closeJob}`)).body['result'] as Record<string, string>)['closedUntil']!;
      expect((Date.parse(closedUntil) - Date.now()) / 1000).toBeGreaterThan(RETENTION_SECONDS - 300);
      const keptUntil = `${closedUntil.replace('T', ' ').slice(0, 19)} UTC`;
      await expect.poll(() => page.textContent(`${listed} td:nth-child(3)`), { timeout: 10_000 }).toBe(`closed (kept until ${keptUntil})`);
      await expect.poll(() => page.textContent('dd[data-fact="Phase"]'), { timeout: 10_000 }).toBe('closed');
      expect(await page.textContent('dd[data-fact="Kept until"]')).toBe(keptUntil);
      expect(await page.isVisible('[data-action=undelete]')).toBe(true);
      expect(await page.isHidden('[data-action=update]')).toBe(true);
      expect(await page.isHidden('#take-backup')).toBe(true);
    };
    await closeAndCheck();
    expect(dialogs.at(-1)).toContain(`Deprovision ${tenantId}?`);
    await page.screenshot({ path: `${ARTEFACTS}/admin-data-closed.png`, fullPage: true });

    // Undelete: open and ready again, still a template.
    await page.click('[data-action=undelete]');
    await pageJobCompletes(page, `undelete ${tenantId}`);
    await expect.poll(() => page.textContent('dd[data-fact="Phase"]'), { timeout: 10_000 }).toBe('ready');
    await expect.poll(() => page.textContent(`${listed} td:nth-child(3)`), { timeout: 10_000 }).toBe('ready');
    expect(await page.isHidden('[data-action=purge]')).toBe(true);
    expect(await page.textContent('dd[data-fact="Template"]')).toMatch(/^Demo garage with sample data/);

    // Closed again, then purged now with force: gone from the list, the panel and the templates.
    await closeAndCheck();
    await page.click('[data-action=purge]');
    await pageJobCompletes(page, `purge ${tenantId}`);
    expect(dialogs.at(-1)).toContain(`Purge ${tenantId} now?`);
    await expect.poll(() => page.locator(listed).count(), { timeout: 10_000 }).toBe(0);
    await page.waitForSelector('#tenant', { state: 'hidden', timeout: 10_000 });
    await expect.poll(() => page.locator(`#templates tr[data-tenant="${tenantId}"]`).count(), { timeout: 10_000 }).toBe(0);
    expect((await call(`/api/provisioning/${tenantId}/status`)).status).toBe(404);
    await page.screenshot({ path: `${ARTEFACTS}/admin-data-purged.png`, fullPage: true });
    await page.close();
  }, 900_000);
});
