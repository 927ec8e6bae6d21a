import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onShutdownSignal, SAME_REQUEST_MS } from '../../../src/composition/shutdown-signals.ts';

function harness() {
  const target = new EventEmitter();
  let clock = 0;
  const calls: string[] = [];
  onShutdownSignal(
    (signal) => calls.push(`shutdown ${signal}`),
    (signal) => calls.push(`force ${signal}`),
    target as unknown as Pick<NodeJS.Process, 'on'>,
    () => clock,
  );
  return { calls, send: (signal: NodeJS.Signals, at: number) => ((clock = at), target.emit(signal)) };
}

describe('shutdown signals', () => {
  it("treats a Ctrl-C delivered twice (the terminal's SIGINT, then a supervisor's SIGTERM) as one request to drain", () => {
    const { calls, send } = harness();
    send('SIGINT', 0);
    send('SIGTERM', 15);
    send('SIGINT', SAME_REQUEST_MS - 1);
    expect(calls).toEqual(['shutdown SIGINT']);
  });

  it('forces the exit on a signal that comes later, and on each one after it', () => {
    const { calls, send } = harness();
    send('SIGTERM', 0);
    send('SIGINT', SAME_REQUEST_MS);
    send('SIGTERM', SAME_REQUEST_MS + 5);
    expect(calls).toEqual(['shutdown SIGTERM', 'force SIGINT', 'force SIGTERM']);
  });

  it('keeps its listeners registered, so a child cleanup that counts listeners never re-raises the signal', () => {
    const target = new EventEmitter();
    onShutdownSignal(
      () => undefined,
      () => undefined,
      target as unknown as Pick<NodeJS.Process, 'on'>,
    );
    target.emit('SIGTERM');
    expect(target.listenerCount('SIGTERM')).toBe(1);
    expect(target.listenerCount('SIGINT')).toBe(1);
  });
});
