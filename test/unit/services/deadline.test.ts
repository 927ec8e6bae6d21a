import { describe, expect, it } from 'vitest';
import { budget, DeadlineError, withDeadline, withDeadlineSignal } from '../../../src/services/deadline.ts';
import { dependencyCall } from '../../../src/services/dependency.ts';
import { ConflictError, DependencyUnavailableError } from '../../../src/domain/errors.ts';

describe('withDeadline', () => {
  it('passes results and errors through, and rejects when time is up', async () => {
    expect(await withDeadline(Promise.resolve(1), 100, 'x')).toBe(1);
    await expect(withDeadline(Promise.reject(new Error('no')), 100, 'x')).rejects.toThrow('no');
    await expect(withDeadline(new Promise(() => undefined), 20, 'redis')).rejects.toBeInstanceOf(DeadlineError);
    await expect(withDeadline(Promise.resolve(1), 0, 'x')).rejects.toThrow(/within 0 ms/);
  });

  it('shares one budget across calls', () => {
    let now = 0;
    const b = budget(1_000, () => now);
    now = 400;
    expect(b.remaining()).toBe(600);
    now = 2_000;
    expect(b.remaining()).toBe(0);
  });
});

describe('withDeadlineSignal', () => {
  it("aborts the work's signal with the DeadlineError when time is up, and settles without waiting for the work", async () => {
    let seen: AbortSignal | undefined;
    const call = withDeadlineSignal(20, 'helm', (signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    });
    await expect(call).rejects.toBeInstanceOf(DeadlineError);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(DeadlineError);
  });

  it('passes results and errors through without aborting, and follows a parent signal', async () => {
    let seen: AbortSignal | undefined;
    expect(await withDeadlineSignal(1_000, 'x', async (signal) => ((seen = signal), 7))).toBe(7);
    expect(seen?.aborted).toBe(false);
    await expect(withDeadlineSignal(1_000, 'x', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(
      withDeadlineSignal(1_000, 'x', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    const parent = new AbortController();
    const call = withDeadlineSignal(1_000, 'x', (signal) => ((seen = signal), new Promise<never>(() => undefined)), parent.signal);
    parent.abort(new Error('shutting down'));
    await expect(call).rejects.toThrow('shutting down');
    expect(seen?.aborted).toBe(true);
    await expect(withDeadlineSignal(0, 'x', async () => 1)).rejects.toThrow(/within 0 ms/);
  });
});

describe('dependencyCall', () => {
  const code = (status: number) => Object.assign(new Error('kube'), { code: status });

  it('turns timeouts, network errors and transient cluster answers into DependencyUnavailableError', async () => {
    for (const error of [new Error('ECONNREFUSED'), code(500), code(503), code(429), code(409)]) {
      const refused = await dependencyCall('The Kubernetes API', Promise.reject(error), 100).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DependencyUnavailableError);
      expect(refused).toMatchObject({ dependency: 'The Kubernetes API', cause: error, message: 'The Kubernetes API is unavailable; try again shortly' });
    }
    await expect(dependencyCall('Redis', new Promise(() => undefined), 10)).rejects.toMatchObject({ kind: 'dependency_unavailable', dependency: 'Redis' });
  });

  it('keeps deterministic cluster answers and domain errors as they are', async () => {
    const forbidden = code(403);
    await expect(dependencyCall('k', Promise.reject(forbidden), 100)).rejects.toBe(forbidden);
    const conflict = new ConflictError('taken');
    await expect(dependencyCall('k', Promise.reject(conflict), 100)).rejects.toBe(conflict);
  });
});
