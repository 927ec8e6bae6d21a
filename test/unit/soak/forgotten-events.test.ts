import { describe, expect, it } from 'vitest';
import { FAILOVER_LOSS_WINDOW_MS, judgeForgottenEvents, Ledger } from '../../soak/ledger.ts';

describe('events a client saw that the history lost', () => {
  const switchAt = 1_796_517_680_000;

  it('counts ids written shortly before an announced failover as lost with it, not as a violation', () => {
    const ledger = new Ledger();
    ledger.sseForgotten.push({ jobId: 'j1', ids: [`${switchAt - 3_000}-0`, `${switchAt - 1_000}-0`] });
    judgeForgottenEvents(ledger, [{ at: switchAt }]);
    expect(ledger.violations).toEqual([]);
    expect(ledger.sse.lostWithFailover).toBe(2);
  });

  it('reports ids no failover followed, or one too long after them, or after them none at all', () => {
    const ledger = new Ledger();
    ledger.sseForgotten.push(
      { jobId: 'after', ids: [`${switchAt + 500}-0`] },
      { jobId: 'long-before', ids: [`${switchAt - FAILOVER_LOSS_WINDOW_MS - 1}-0`] },
      { jobId: 'mixed', ids: [`${switchAt - 1_000}-0`, `${switchAt + 1_000}-0`] },
    );
    judgeForgottenEvents(ledger, [{ at: switchAt }]);
    expect(ledger.violations.map((v) => [v.invariant, v.detail.split(':')[0]])).toEqual([
      ['sse-history', 'job after'],
      ['sse-history', 'job long-before'],
      ['sse-history', 'job mixed'],
    ]);
    expect(ledger.sse.lostWithFailover).toBe(0);

    const none = new Ledger();
    none.sseForgotten.push({ jobId: 'quiet', ids: [`${switchAt}-0`] });
    judgeForgottenEvents(none, []);
    expect(none.violations).toHaveLength(1);
  });
});
