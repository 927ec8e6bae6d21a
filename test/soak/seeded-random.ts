import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export type Random = {
  readonly seed: number;
  /** In [0, 1). */
  next(): number;
  /** In [lo, hi], both included. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  /**
   * An independent stream for one part of the soak (a driver, the fault schedule): what one part
   * draws never shifts another's sequence, so a seed replays every part as it ran, whatever the
   * timing of the others.
   */
  fork(label: string): Random;
};

const deriveSeed = (seed: number, label: string) => createHash('sha256').update(`${seed}:${label}`).digest().readInt32LE(0);

export function seededRandom(seed: number): Random {
  const rng = xoroshiro128plus(seed);
  const self: Random = {
    seed,
    next: () => uniformFloat64(rng),
    int: (lo, hi) => uniformInt(rng, lo, hi),
    pick: (xs) => {
      if (xs.length === 0) throw new Error('pick from an empty list');
      return xs[uniformInt(rng, 0, xs.length - 1)]!;
    },
    chance: (p) => uniformFloat64(rng) < p,
    fork: (label) => seededRandom(deriveSeed(seed, label)),
  };
  return self;
}
