import { describe, expect, it } from 'vitest';
import { sharedCall } from '../../../src/helm/shared-call.ts';

/** A controllable run: counts starts and exposes each start's signal and settle functions. */
function runs() {
  const started: Array<{ signal: AbortSignal; resolve: (v: string) => void; reject: (e: unknown) => void }> = [];
  const start = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      started.push({ signal, resolve, reject });
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  return { started, call: sharedCall(start) };
}

describe('sharedCall', () => {
  it('shares one run among concurrent callers and caches its answer', async () => {
    const { started, call } = runs();
    const a = call();
    const b = call(new AbortController().signal);
    expect(started).toHaveLength(1);
    started[0]!.resolve('v4');
    expect([await a, await b]).toEqual(['v4', 'v4']);
    expect(await call()).toBe('v4');
    expect(started).toHaveLength(1);
  });

  it('aborts the run only when every waiter gave up, and then starts afresh', async () => {
    const { started, call } = runs();
    const one = new AbortController();
    const two = new AbortController();
    const a = call(one.signal);
    const b = call(two.signal);
    one.abort(new Error('one gave up'));
    await expect(a).rejects.toThrow('one gave up');
    expect(started[0]!.signal.aborted).toBe(false);
    two.abort(new Error('two gave up'));
    await expect(b).rejects.toThrow('two gave up');
    expect(started[0]!.signal.aborted).toBe(true);
    const c = call();
    expect(started).toHaveLength(2);
    started[1]!.resolve('v4');
    expect(await c).toBe('v4');
  });

  it('never aborts a run a caller without a signal waits for; a failed run is forgotten', async () => {
    const { started, call } = runs();
    const giveUp = new AbortController();
    const patient = call();
    const impatient = call(giveUp.signal);
    giveUp.abort(new Error('late'));
    await expect(impatient).rejects.toThrow('late');
    expect(started[0]!.signal.aborted).toBe(false);
    started[0]!.reject(new Error('helm missing'));
    await expect(patient).rejects.toThrow('helm missing');
    const again = call();
    expect(started).toHaveLength(2);
    started[1]!.resolve('v4');
    expect(await again).toBe('v4');
    await expect(call(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(started).toHaveLength(2);
  });
});
