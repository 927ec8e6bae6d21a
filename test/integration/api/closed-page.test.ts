import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../sandbox/ports.ts';
import { startServiceProcess } from '../../support/service-process.ts';

// The service as a real process with CLOSED_PAGE_PORT: the closed page answers there, apart from the
// API (whose routes it never serves), and goes with the process's graceful stop.
let service: Awaited<ReturnType<typeof startServiceProcess>>;
let pageUrl: string;

beforeAll(async () => {
  const port = await freePort();
  pageUrl = `http://127.0.0.1:${port}`;
  service = await startServiceProcess({ kubeconfig: inject('kubeconfig'), redisUrl: inject('redisUrl'), env: { CLOSED_PAGE_PORT: String(port) } });
});
afterAll(async () => {
  await service?.stop();
});

describe('the closed page of the running service', () => {
  it("answers a closed account's host on its own port, whatever the path, while the API keeps its routes", async () => {
    for (const path of ['/', '/readyz', '/api/tenants', '/openapi.json']) {
      const res = await fetch(`${pageUrl}${path}`, { headers: { Host: 'acme-auto.mechanicbuddy.app' } });
      expect(res.status, path).toBe(410);
      expect(await res.text()).toContain('This account is closed');
    }
    expect((await fetch(`${service.baseUrl}/readyz`)).status).toBe(200);
    await service.stop();
    await expect(fetch(`${pageUrl}/`)).rejects.toThrow();
  });
});
