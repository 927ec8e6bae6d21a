import type { Logger } from 'pino';
import { throttledErrorLog } from '../observability/error-log.ts';
import type { OutageReporter } from '../observability/outage-reporter.ts';

/** What a worker needs of the process's Redis outage reporter. */
export type RedisOutageListener = Pick<OutageReporter, 'failure'>;

/**
 * A BullMQ worker's 'error' listener. Its errors are Redis's (a refused fetch, a lost connection,
 * a failed lock renewal): they go to the process's Redis outage reporter, which checks Redis itself
 * and reports an outage once, with summaries, or logs a stray error once per window. Without a
 * reporter (tests building a bare worker), each distinct error is logged once per window.
 */
export function workerErrorListener(logger: Logger, source: string, outage?: RedisOutageListener): (error: Error) => void {
  if (outage) return (error) => outage.failure(source, error);
  return throttledErrorLog(logger, `${source} error`);
}
