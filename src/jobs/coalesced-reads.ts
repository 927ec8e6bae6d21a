import type { JobHistory } from './job-history.ts';

/**
 * One call for every caller asking with the same key before that call is sent. The call is sent on
 * the next macrotask, so all the wake-ups of one message join it; a caller that comes after it was
 * sent gets a call of its own, never an answer older than its wake-up. The answer is shared:
 * callers must not change it.
 */
export function coalesceCalls<A extends unknown[], T>(keyOf: (...args: A) => string, call: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  const pending = new Map<string, Promise<T>>();
  return (...args) => {
    const key = keyOf(...args);
    let answer = pending.get(key);
    if (!answer) {
      answer = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        pending.delete(key);
        return call(...args);
      });
      pending.set(key, answer);
    }
    return answer;
  };
}

/**
 * One history read for every caller asking for the same job after the same id before that read is
 * sent: an announcement wakes every subscriber of a job in this process at once, and they all want
 * the same new entries (10,000 subscribers on 100 jobs: 100 reads per burst, not 10,000). The
 * array and its entries are shared: callers must not change them (the API formats each entry's
 * SSE frame once, keyed by the entry).
 */
export function coalesceReads(history: Pick<JobHistory, 'read'>): Pick<JobHistory, 'read'> {
  return {
    read: coalesceCalls(
      (jobId: string, afterId?: string) => `${jobId}\n${afterId ?? ''}`,
      (jobId, afterId) => history.read(jobId, afterId),
    ),
  };
}
