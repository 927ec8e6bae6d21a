import { describe, expect, it } from 'vitest';
import { byteCount, cpuMillis, formatBytes, formatCpu } from '../../src/domain/quantity.ts';

describe('quantities', () => {
  it('parses CPU into millicores', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('2')).toBe(2000);
    expect(cpuMillis('0.1')).toBe(100);
    expect(cpuMillis('1.5')).toBe(1500);
  });

  it('parses memory and storage into bytes, binary and decimal', () => {
    expect(byteCount('512Mi')).toBe(512 * 2 ** 20);
    expect(byteCount('1Gi')).toBe(2 ** 30);
    expect(byteCount('1G')).toBe(1e9);
    expect(byteCount('200Gi')).toBe(200 * 2 ** 30);
  });

  it('rejects what is not a quantity', () => {
    expect(() => byteCount('50 GB')).toThrow(/not a Kubernetes quantity/);
    expect(() => cpuMillis('')).toThrow(/not a Kubernetes quantity/);
  });

  it('formats exactly, preferring the largest unit', () => {
    expect(formatCpu(2000)).toBe('2');
    expect(formatCpu(1550)).toBe('1550m');
    expect(formatBytes(3 * 2 ** 30)).toBe('3Gi');
    expect(formatBytes(1536 * 2 ** 20)).toBe('1536Mi');
    expect(formatBytes(1e9)).toBe('1000000000');
  });
});
