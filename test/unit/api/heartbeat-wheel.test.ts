import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatWheel } from '../../../src/api/jobs/heartbeat-wheel.ts';

/** A member that records the fake clock at each beat. */
const member = () => {
  const beats: number[] = [];
  return { beats, beat: () => void beats.push(Date.now()) };
};

describe('HeartbeatWheel', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('beats a member first about one period after it joined, then once per period, with one timer', () => {
    const wheel = new HeartbeatWheel<ReturnType<typeof member>>(15_000, 15);
    const start = Date.now();
    const members = Array.from({ length: 30 }, member);
    // Two members join every second for 15 s, as clients connecting at different moments.
    for (let second = 0; second < 15; second += 1) {
      wheel.add(members[2 * second]!);
      wheel.add(members[2 * second + 1]!);
      vi.advanceTimersByTime(1_000);
    }
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(15_000);
    members.forEach((m, i) => {
      const joined = start + Math.floor(i / 2) * 1_000;
      expect(m.beats[0]! - joined).toBeGreaterThanOrEqual(14_000);
      expect(m.beats[0]! - joined).toBeLessThanOrEqual(15_000);
    });
    // Spread over the period: 15 distinct instants, not all 30 beats at once.
    expect(new Set(members.map((m) => m.beats[0])).size).toBe(15);
    vi.advanceTimersByTime(15_000);
    expect(members.every((m) => m.beats.length >= 2 && m.beats.every((t, i) => i === 0 || t - m.beats[i - 1]! === 15_000))).toBe(true);
  });

  it('stops beating a deleted member, and runs no timer once it has no members', () => {
    const wheel = new HeartbeatWheel<ReturnType<typeof member>>(1_000, 4);
    const [a, b] = [member(), member()];
    const slotA = wheel.add(a);
    const slotB = wheel.add(b);
    wheel.delete(a, slotA);
    // Deleting twice, or with a slot it was never in, changes nothing.
    wheel.delete(a, slotA);
    wheel.delete(b, -1);
    expect(wheel.size).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect([a.beats.length, b.beats.length]).toEqual([0, 1]);
    wheel.delete(b, slotB);
    expect(wheel.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    wheel.add(a);
    expect(vi.getTimerCount()).toBe(1);
    expect([...wheel.members()]).toEqual([a]);
  });
});
