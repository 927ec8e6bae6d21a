import type { StoredJobEvent } from './job-events.schema.ts';
import type { JobHistory } from './job-history.ts';

/**
 * One history read for every caller asking for the same job after the same id before that read is
 * sent: an announcement wakes every subscriber of a job in this process at once, and they all want
 * the same new entries (10,000 subscribers on 100 jobs: 100 reads per burst, not 10,000). The read
 * is sent on the next macrotask, so all the wake-ups of one message join it; a caller that comes
 * after it was sent gets a read of its own, never an answer older than its wake-up. The array is
 * shared: callers must not change it.
 */
export function coalesceReads(history: Pick<JobHistory, 'read'>): Pick<JobHistory, 'read'> {
  const pending = new Map<string, Promise<StoredJobEvent[]>>();
  return {
    read(jobId, afterId) {
      const key = `${jobId}\n${afterId ?? ''}`;
      let read = pending.get(key);
      if (!read) {
        read = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
          pending.delete(key);
          return history.read(jobId, afterId);
        });
        pending.set(key, read);
      }
      return read;
    },
  };
}
