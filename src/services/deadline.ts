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

/** A fixed point in time several calls share, so a chain of them cannot exceed one budget. */
export function budget(ms: number, now: () => number = Date.now) {
  const end = now() + ms;
  return { remaining: () => Math.max(0, end - now()) };
}
