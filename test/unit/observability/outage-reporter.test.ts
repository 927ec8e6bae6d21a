import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { observeKube } from '../../../src/composition/outages.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { createOutageReporter, type OutageReporter } from '../../../src/observability/outage-reporter.ts';

const reporters: OutageReporter[] = [];
afterEach(() => {
  for (const r of reporters.splice(0)) r.close();
  vi.useRealTimers();
});

/** A real pino logger writing into an array, and a probe the test answers. */
function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'info', pretty: false, destination });
  const probe = { ok: false, calls: 0 };
  const changes: boolean[] = [];
  let failures = 0;
  const reporter = createOutageReporter({
    dependency: 'redis',
    logger,
    probe: async () => {
      probe.calls++;
      if (!probe.ok) throw new Error("READONLY You can't write against a read only replica.");
    },
    onFailure: () => failures++,
    onChange: (up) => changes.push(up),
    probeEveryMs: 1_000,
    summaryEveryMs: 10_000,
  });
  reporters.push(reporter);
  const messages = () => lines.map((l) => l.msg);
  return { reporter, lines, messages, probe, changes, failures: () => failures };
}

const readonly = () => new Error("READONLY You can't write against a read only replica.");

describe('outage reporter', () => {
  it('reports an error storm as one outage: a line when it starts, a summary per window, a line when it ends with its duration', async () => {
    vi.useFakeTimers();
    const { reporter, lines, messages, probe, changes, failures } = setup();
    for (let i = 0; i < 5_000; i++) reporter.failure(i % 2 ? 'operations worker' : 'redis (worker)', readonly());
    await vi.advanceTimersByTimeAsync(0);
    expect(reporter.isDown()).toBe(true);
    expect(changes).toEqual([false]);
    expect(messages()).toEqual(['redis unavailable: reporting a summary every 10 s until it is back']);
    expect(lines[0]).toMatchObject({ dependency: 'redis', firstError: expect.stringMatching(/^READONLY/), sources: ['redis (worker)', 'operations worker'] });
    expect(probe.calls).toBe(1);

    for (let i = 0; i < 5_000; i++) reporter.failure('maintenance worker', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    await vi.advanceTimersByTimeAsync(10_000);
    // A check a second while it lasts, a summary per window, nothing per failure.
    expect(probe.calls).toBe(11);
    expect(messages()).toHaveLength(2);
    expect(lines[1]).toMatchObject({ msg: 'redis still unavailable', errors: 10_000, newErrors: 5_000, lastError: expect.stringMatching(/^READONLY/) });
    expect(reporter.status()).toMatchObject({ up: false, errors: 10_000 });
    expect(reporter.retryDelayMs(1)).toBeGreaterThanOrEqual(1_000);

    probe.ok = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reporter.isDown()).toBe(false);
    expect(changes).toEqual([false, true]);
    expect(lines[2]).toMatchObject({ msg: 'redis available again', errors: 10_000, durationMs: 11_000 });
    expect(lines[2]!.sources).toEqual(['redis (worker)', 'operations worker', 'maintenance worker']);
    expect(failures()).toBe(10_000);
    expect(reporter.retryDelayMs(1)).toBe(100);
    // Over: no more summaries or checks.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(messages()).toHaveLength(3);
    expect(probe.calls).toBe(12);
  });

  it('starts no outage for an error the check does not confirm, and logs it once per window', async () => {
    vi.useFakeTimers();
    const { reporter, lines, messages, probe, changes } = setup();
    probe.ok = true;
    reporter.failure('operations worker', new Error('Missing lock for job 7. moveToFinished'));
    await vi.advanceTimersByTimeAsync(0);
    expect(reporter.isDown()).toBe(false);
    expect(changes).toEqual([]);
    expect(messages()).toEqual(['redis error']);
    expect(lines[0]).toMatchObject({ dependency: 'redis', err: { message: 'Missing lock for job 7. moveToFinished' } });
    // The same error again within the window: counted, not logged; a check at most once a second.
    for (let i = 0; i < 100; i++) reporter.failure('operations worker', new Error('Missing lock for job 7. moveToFinished'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probe.calls).toBe(2);
    expect(messages()).toEqual(['redis error']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(messages()).toEqual(['redis error', 'redis error (repeated)']);
  });

  it('does not start a second outage for errors that were on their way when the first ended', async () => {
    vi.useFakeTimers();
    const { reporter, messages, probe } = setup();
    reporter.failure('redis (worker)', readonly());
    await vi.advanceTimersByTimeAsync(0);
    probe.ok = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(messages()).toEqual(['redis unavailable: reporting a summary every 10 s until it is back', 'redis available again']);
    reporter.failure('billing schedules worker', readonly());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reporter.isDown()).toBe(false);
    expect(messages()).toHaveLength(3);
    expect(messages()[2]).toBe('redis error');
  });
});

describe('Kubernetes request observer', () => {
  it('counts every request and reports only unanswered ones and 5xx to the Kubernetes reporter', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const seen: string[] = [];
    const outage = { failure: (_source: string, error: unknown) => void seen.push((error as Error).message) } as unknown as OutageReporter;
    const observe = observeKube(metrics, outage);
    for (const code of ['200', '404', '409', '503', 'error', '500']) observe({ verb: 'get', group: 'apps', resource: 'deployments', code });
    expect(seen).toEqual(['get deployments: 503', 'get deployments: no answer', 'get deployments: 500']);
    expect(await metrics.render()).toMatch(/tenant_provisioner_kubernetes_requests_total\{verb="get",group="apps",resource="deployments",code="404"\} 1/);
  });

  it('exposes the dependency gauge and error counter', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.dependencyUp('redis', true);
    metrics.dependencyUp('kubernetes', false);
    metrics.dependencyError('kubernetes');
    const text = await metrics.render();
    expect(text).toMatch(/^tenant_provisioner_dependency_up\{dependency="redis"\} 1$/m);
    expect(text).toMatch(/^tenant_provisioner_dependency_up\{dependency="kubernetes"\} 0$/m);
    expect(text).toMatch(/^tenant_provisioner_dependency_errors_total\{dependency="redis"\} 0$/m);
    expect(text).toMatch(/^tenant_provisioner_dependency_errors_total\{dependency="kubernetes"\} 1$/m);
  });
});
