import { describe, expect, it } from 'vitest';
import { createClosedPageApp } from '../../../src/api/closed-page/closed-page.ts';

describe("the closed page (a closed account's hosts)", () => {
  const app = createClosedPageApp();

  it('answers every host, path and method with 410 and the page, never cached', async () => {
    for (const [method, url] of [
      ['GET', 'http://acme-auto.mechanicbuddy.app/'],
      ['GET', 'http://shop.acmeauto.com/workorders/42?tab=parts'],
      ['POST', 'http://acme-auto.mechanicbuddy.app/api/auth/login'],
      ['HEAD', 'http://acme-auto.mechanicbuddy.app/favicon.ico'],
    ] as const) {
      const res = await app.request(url, { method });
      expect(res.status, `${method} ${url}`).toBe(410);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      if (method !== 'HEAD') expect(await res.text()).toContain('<h1>This account is closed</h1>');
    }
  });

  it('reflects nothing of the request', async () => {
    const res = await app.request('http://evil.example/%3Cscript%3Ealert(1)%3C/script%3E?q=<b>x</b>', { headers: { Host: '<i>host</i>' } });
    const page = await res.text();
    expect(page).not.toMatch(/script|<b>|<i>|evil/);
  });
});
