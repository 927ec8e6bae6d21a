/** A dependency did not answer in time; the work may still complete in the background. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
  }
}

/**
 * Settles with `work`, or rejects with a DeadlineError after `ms`. The timer never outlives the
 * race, and a late rejection of `work` is swallowed so it cannot become an unhandled rejection.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  work.catch(() => undefined);
  if (ms <= 0) return Promise.reject(new DeadlineError(what, 0));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `work` with a signal that aborts when `ms` pass (or when `parent` aborts), and settles as
 * soon as either happens: unlike `withDeadline`, the work is told to stop, so a child process it
 * started (Helm) is killed rather than left running after the caller has given up on it.
 */
export function withDeadlineSignal<T>(ms: number, what: string, work: (signal: AbortSignal) => Promise<T>, parent?: AbortSignal): Promise<T> {
  if (ms <= 0) return Promise.reject(new DeadlineError(what, 0));
  if (parent?.aborted) return Promise.reject(parent.reason);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onParentAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    const stop = (reason: unknown) => {
      controller.abort(reason);
      reject(reason);
    };
    timer = setTimeout(() => stop(new DeadlineError(what, ms)), ms);
    onParentAbort = () => stop(parent!.reason);
    parent?.addEventListener('abort', onParentAbort, { once: true });
  });
  let running: Promise<T>;
  try {
    running = work(controller.signal);
  } catch (error) {
    running = Promise.reject(error);
  }
  // The work rejects once aborted; nobody awaits it then, so keep that from being unhandled.
  running.catch(() => undefined);
  return Promise.race([running, stopped]).finally(() => {
    clearTimeout(timer);
    if (onParentAbort) parent?.removeEventListener('abort', onParentAbort);
  });
}

/** A fixed point in time several calls share, so a chain of them cannot exceed one budget. */
export function budget(ms: number, now: () => number = Date.now) {
  const end = now() + ms;
  return { remaining: () => Math.max(0, end - now()) };
}
