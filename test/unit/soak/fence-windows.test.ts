import { describe, expect, it } from 'vitest';
import { overlappingWindows, type FenceWindow } from '../../soak/invariants/fence-windows.ts';

const fence = (tenantId: string, leaseToken: number, from?: number, until?: number): FenceWindow => ({
  worker: `worker-${leaseToken % 3}`,
  tenantId,
  jobId: `job-${leaseToken}`,
  leaseToken,
  forwardedFrom: from,
  forwardedUntil: until,
  refused: 0,
});

describe('the one-mutator verdict from the API fences', () => {
  it('accepts windows of successive tokens that follow one another, and a fence that forwarded nothing', () => {
    expect(overlappingWindows([fence('a', 1, 100, 200), fence('a', 2, 201, 300), fence('a', 3), fence('b', 9, 150, 250)])).toEqual([]);
  });

  it('flags two tokens forwarding on one tenant at once, in any order', () => {
    const overlaps = overlappingWindows([fence('a', 2, 180, 400), fence('a', 1, 100, 200), fence('b', 5, 100, 200)]);
    expect(overlaps).toHaveLength(1);
    expect(overlaps[0]).toMatch(/^a: token 1 .* and token 2 .*: 20 ms at once$/);
  });

  it('does not count one token against itself (two runs of one lease never happen, but one window is not two mutators)', () => {
    expect(overlappingWindows([fence('a', 1, 100, 200), fence('a', 1, 150, 250)])).toEqual([]);
  });

  it('finds an overlap hidden behind a long window', () => {
    const overlaps = overlappingWindows([fence('a', 1, 0, 1_000), fence('a', 2, 10, 20), fence('a', 3, 500, 600)]);
    expect(
      overlaps.map((o) =>
        o
          .match(/token (\d).*token (\d)/)!
          .slice(1)
          .join('-'),
      ),
    ).toEqual(['1-2', '1-3']);
  });
});
