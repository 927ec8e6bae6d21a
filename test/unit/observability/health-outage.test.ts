import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createHealthApp } from '../../../src/composition/health-server.ts';
import type { Kubernetes } from '../../../src/kubernetes/kube-client.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';

/** The worker's health routes over fakes of Redis, the version endpoint and the outage reporters. */
function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const state = { pingFails: false, redisDown: false, kubeDown: false };
  const outages = [
    { dependency: 'redis', isDown: () => state.redisDown },
    { dependency: 'kubernetes', isDown: () => state.kubeDown },
  ];
  const redis = { ping: async () => (state.pingFails ? Promise.reject(new Error('connect ECONNREFUSED')) : 'PONG') };
  const kube = { version: { getCode: async () => ({ gitVersion: 'v1.37.2' }) } } as unknown as Pick<Kubernetes, 'version'>;
  const metrics = createMetrics({ processMetrics: false });
  const app = createHealthApp({ redis: redis as never, kube, outages, metrics, logger: createLogger({ level: 'info', pretty: false, destination }) });
  return { app, state, lines };
}

describe('worker health server during an outage', () => {
  it('answers /readyz 503 while a reporter reports an outage, though the ping answers (a read-only Redis answers PING), without a line per probe', async () => {
    const { app, state, lines } = setup();
    expect((await app.request('/readyz')).status).toBe(200);
    state.redisDown = true;
    for (let i = 0; i < 20; i++) {
      const response = await app.request('/readyz');
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/problem\+json/);
      expect(((await response.json()) as { detail: string }).detail).toBe('Not ready: redis is unavailable');
    }
    expect(lines).toEqual([]);
    state.redisDown = false;
    state.kubeDown = true;
    expect(((await (await app.request('/readyz')).json()) as { detail: string }).detail).toBe('Not ready: kubernetes is unavailable');
    state.kubeDown = false;
    expect((await app.request('/readyz')).status).toBe(200);
  });

  it('answers 503 and logs what failed when a check fails before any outage is reported', async () => {
    const { app, state, lines } = setup();
    state.pingFails = true;
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(((await response.json()) as { detail: string }).detail).toBe('Not ready: redis did not answer');
    expect(lines.map((l) => l.msg)).toEqual(['not ready']);
  });
});
