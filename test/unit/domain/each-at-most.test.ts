import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { eachAtMost } from '../../../src/domain/each-at-most.ts';

async function* numbers(n: number, pulled: number[] = []) {
  for (let i = 0; i < n; i++) {
    pulled.push(i);
    yield i;
  }
}

describe('eachAtMost', () => {
  it('visits every item once, never more than the limit at a time', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await eachAtMost(numbers(25), 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(i % 3);
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(peak).toBe(4);
  });

  it('pulls the next item only when a slot frees', async () => {
    const pulled: number[] = [];
    const release: Array<() => void> = [];
    const walk = eachAtMost(numbers(10, pulled), 3, () => new Promise<void>((resolve) => release.push(resolve)));
    await sleep(5);
    expect(pulled).toEqual([0, 1, 2]);
    release.shift()!();
    await sleep(5);
    expect(pulled).toEqual([0, 1, 2, 3]);
    while (release.length > 0) {
      release.shift()!();
      await sleep(1);
    }
    await walk;
    expect(pulled).toHaveLength(10);
  });

  it('stops pulling and rejects when a visit throws, and closes the source', async () => {
    const pulled: number[] = [];
    let closed = false;
    async function* source() {
      try {
        yield* numbers(100, pulled);
      } finally {
        closed = true;
      }
    }
    await expect(
      eachAtMost(source(), 2, async (i) => {
        if (i === 3) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(pulled.length).toBeLessThan(10);
    expect(closed).toBe(true);
  });

  it('treats a limit below one as one', async () => {
    const seen: number[] = [];
    await eachAtMost(numbers(3), 0, async (i) => void seen.push(i));
    expect(seen).toEqual([0, 1, 2]);
  });
});
