import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from 'pino';
import { throttledErrorLog } from '../../../src/observability/error-log.ts';

afterEach(() => {
  vi.useRealTimers();
});

function recorder() {
  const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const logger = { error: (fields: Record<string, unknown>, message: string) => void lines.push({ fields, message }) } as unknown as Logger;
  return { logger, lines };
}

describe('throttledErrorLog', () => {
  it('logs an error storm (BullMQ retrying a refused fetch at once) as one line and a count per window', () => {
    vi.useFakeTimers();
    const { logger, lines } = recorder();
    const onError = throttledErrorLog(logger, 'worker error', 1_000);
    const readonly = () => new Error("READONLY You can't write against a read only replica.");
    for (let i = 0; i < 10_000; i++) onError(readonly());
    onError(new Error('OOM command not allowed'));
    expect(lines.map((l) => l.message)).toEqual(['worker error', 'worker error']);
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ message: 'worker error (repeated)', fields: { repeated: 9_999 } });
    // A new window logs the next occurrence in full again.
    onError(readonly());
    expect(lines).toHaveLength(4);
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(4);
  });
});
