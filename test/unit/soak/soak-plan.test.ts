import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, faultSchedule } from '../../soak/faults.ts';
import { seededRandom } from '../../soak/seeded-random.ts';

const count = (faults: ReturnType<typeof faultSchedule>, ...kinds: string[]) => faults.filter((f) => kinds.includes(f.kind)).length;

describe('the soak fault schedule', () => {
  it('is the same for the same seed, and another seed gives another', () => {
    const a = faultSchedule(seededRandom(7).fork('faults'), 60);
    expect(faultSchedule(seededRandom(7).fork('faults'), 60)).toEqual(a);
    expect(faultSchedule(seededRandom(8).fork('faults'), 60)).not.toEqual(a);
  });

  it('meets every kind in two minutes, in order and inside the drive', () => {
    for (const seed of [1, 2, 3, 20_261_201]) {
      const faults = faultSchedule(seededRandom(seed).fork('faults'), 2);
      expect(new Set(faults.slice(0, FAULT_KINDS.length).map((f) => f.kind)), `seed ${seed}`).toEqual(new Set(FAULT_KINDS));
      expect(faults.every((f, i) => i === 0 || f.atMs > faults[i - 1]!.atMs)).toBe(true);
      expect(faults.at(-1)!.atMs).toBeLessThan(0.85 * 120_000);
    }
  });

  it('plans what the hour-long acceptance asks: 20 process kills, 5 Redis primaries, 2 API server restarts', () => {
    for (const seed of [1, 2, 3, 4, 5, 42, 20_261_201]) {
      const faults = faultSchedule(seededRandom(seed).fork('faults'), 60);
      expect(count(faults, 'kill-worker', 'kill-api'), `seed ${seed}`).toBeGreaterThanOrEqual(20);
      expect(count(faults, 'kill-redis-primary'), `seed ${seed}`).toBeGreaterThanOrEqual(5);
      expect(count(faults, 'restart-apiserver'), `seed ${seed}`).toBeGreaterThanOrEqual(2);
    }
  });
});
