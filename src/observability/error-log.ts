import type { Logger } from 'pino';

/**
 * A worker's 'error' listener that logs each distinct error once per window and then how often it
 * recurred. BullMQ retries a refused fetch at once (a read-only or out-of-memory Redis answers every
 * script with an error), so a six-second failover emitted some 45,000 identical error lines from
 * one worker process.
 */
export function throttledErrorLog(logger: Logger, message: string, windowMs = 10_000): (error: Error) => void {
  const seen = new Map<string, { count: number; timer: NodeJS.Timeout }>();
  return (error) => {
    const key = error.message;
    const entry = seen.get(key);
    if (entry) {
      entry.count++;
      return;
    }
    logger.error({ err: error }, message);
    const timer = setTimeout(() => {
      const repeated = seen.get(key)?.count ?? 0;
      seen.delete(key);
      if (repeated > 0) logger.error({ err: { message: key }, repeated, windowMs }, `${message} (repeated)`);
    }, windowMs);
    timer.unref();
    seen.set(key, { count: 0, timer });
  };
}
