import { describe, expect, it } from 'vitest';
import { runSoak } from '../../soak/run-soak.ts';

// The fixed seed the normal test run soaks with; `npm run soak -- --minutes 2 --seed 20261201` replays it.
const SEED = 20_261_201;

describe('soak: two minutes of requests and faults on 2 APIs, 3 workers and Redis with Sentinel', () => {
  it('every invariant holds, with each kind of fault injected at least once', { timeout: 15 * 60_000 }, async () => {
    const report = await runSoak({ minutes: 2, seed: SEED, log: (line) => console.warn(`soak: ${line}`) });
    console.warn(`soak summary: ${JSON.stringify({ ...report, violations: report.violations.slice(0, 10) })}`);
    expect(report.violations).toEqual([]);
    for (const kind of ['kill-api', 'kill-worker', 'kill-redis-primary', 'restart-apiserver', 'kill-helm-child', 'pause-worker']) {
      expect(report.faults[kind] ?? 0, kind).toBeGreaterThanOrEqual(1);
    }
    expect(report.operations.accepted).toBeGreaterThanOrEqual(10);
    expect(report.jobs.completed).toBeGreaterThanOrEqual(5);
    expect(report.sse.events).toBeGreaterThan(0);
    expect(Object.values(report.invariants).every((c) => c.ran > 0)).toBe(true);
  });
});
