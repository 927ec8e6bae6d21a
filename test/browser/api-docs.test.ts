import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServiceProcess } from '../support/service-process.ts';
import { CHROMIUM_INSTALL_MS, launchChromium } from './chromium.ts';

// The API reference at /docs, in Chromium with every request to another host refused: the page
// must bring everything it needs itself (no CDN), under a CSP that allows same-origin scripts only.
const ARTEFACTS = 'test-results';
let service: Awaited<ReturnType<typeof startServiceProcess>>;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, CHROMIUM_INSTALL_MS);

beforeAll(async () => {
  service = await startServiceProcess({ kubeconfig: inject('kubeconfig'), redisUrl: inject('redisUrl') });
  await mkdir(ARTEFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('/docs', () => {
  it('renders every operation of the OpenAPI document with requests to any other host blocked', async () => {
    const doc = (await (await fetch(`${service.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    expect(operations.length).toBeGreaterThan(10);

    const context = await browser.newContext();
    const origin = new URL(service.baseUrl).origin;
    const blocked: string[] = [];
    const served: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin !== origin) {
        blocked.push(url);
        return route.abort('blockedbyclient');
      }
      served.push(new URL(url).pathname);
      return route.continue();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));

    const response = await page.goto(`${service.baseUrl}/docs`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp.split('; ')).toEqual(expect.arrayContaining(["default-src 'none'", "script-src 'self'", "connect-src 'self'"]));

    await expect.poll(() => page.locator('.opblock').count(), { timeout: 30_000 }).toBe(operations.length);
    const summaries = await page.locator('.opblock-summary-description').allTextContents();
    for (const op of operations) if (op.summary) expect(summaries).toContain(op.summary);
    await page.screenshot({ path: `${ARTEFACTS}/api-docs.png`, fullPage: false });

    // Nothing was even asked of another host, nothing broke the CSP, and the page loaded its own assets.
    expect(blocked).toEqual([]);
    expect(problems).toEqual([]);
    expect(served).toEqual(expect.arrayContaining(['/docs', '/openapi.json']));
    expect(served.some((p) => /^\/docs\/assets\/[\d.]+\/swagger-ui-bundle\.js$/.test(p))).toBe(true);
    await context.close();
  });

  it('refuses inline and foreign scripts on the page (the CSP is enforced, not just sent)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
    await page.goto(`${service.baseUrl}/docs`);
    // A string, evaluated in the page (this project compiles without the DOM's types).
    const ran = await page.evaluate(`(() => {
      const inline = document.createElement('script');
      inline.textContent = 'window.injected = true';
      document.body.append(inline);
      return window.injected === true;
    })()`);
    expect(ran).toBe(false);
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    await context.close();
  });
});
