import type { Redis } from 'ioredis';
import type { StoredJobEvent } from './job-events.schema.ts';
import { isKnownEventType } from './job-history.ts';

/**
 * Why a job's followers are woken. An announcement says the history grew up to `id`; `prev` is the
 * entry right before it in the history (job-history.ts) and `event` the entry itself, as a history
 * read returns it, when the message carried one of a known type. A `check` says what no
 * announcement will: `history` when announcements may have been lost (the subscription was
 * re-established), `finished` when BullMQ reports the job finished (its terminal event may never
 * have been recorded).
 */
export type Wakeup = { id: string; prev?: string | undefined; event?: StoredJobEvent | undefined } | { id?: undefined; check: 'history' | 'finished' };

type Listener = (wakeup: Wakeup) => void;

/** Something that reports job ids BullMQ has finished (completed or failed); returns its stop. */
export type JobEndings = (ended: (jobId: string) => void) => () => void;

/**
 * Fans one Redis subscription out to every SSE subscriber in this process, so Redis connections
 * do not grow with subscribers. Pub/sub may lose or repeat a message, so followers take an
 * announced entry only when it names, as `prev`, the last entry they have, and read the durable
 * history otherwise (see job-follower.ts). Messages published while the subscription was away are
 * lost for good: once it is back, every follower is told to read its history.
 */
export interface JobEventHub {
  subscribe(jobId: string, listener: Listener): () => void;
  subscriberCount(): number;
  close(): Promise<void>;
}

export type JobEventHubOptions = { onCountChange?: (count: number) => void; endings?: JobEndings };

/** The announcement the history's append script publishes. */
type Message = { jobId?: unknown; id?: unknown; prev?: unknown; type?: unknown; data?: unknown };

/** The wake-up of an announcement; its entry is checked as decodeHistory checks a read's (type only). */
function wakeupOf(message: Message, jobId: string, id: string): Wakeup {
  const prev = typeof message.prev === 'string' ? message.prev : undefined;
  if (!isKnownEventType(message.type) || message.data === undefined) return { id, prev };
  return { id, prev, event: { type: message.type, data: message.data, id, jobId } as StoredJobEvent };
}

export async function createJobEventHub(subscriber: Redis, channel: string, options: JobEventHubOptions = {}): Promise<JobEventHub> {
  const listeners = new Map<string, Set<Listener>>();
  let count = 0;
  const wake = (jobId: string, wakeup: Wakeup) => {
    // A copy: a listener may unsubscribe (its stream ended) while the set is being walked.
    for (const listener of [...(listeners.get(jobId) ?? [])]) listener(wakeup);
  };
  subscriber.on('message', (_channel: string, raw: string) => {
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch {
      return;
    }
    const { jobId, id } = message;
    if (typeof jobId !== 'string' || typeof id !== 'string' || !listeners.has(jobId)) return;
    // One wake-up object for all of the job's followers: its entry is framed once (sse-wire.ts).
    wake(jobId, wakeupOf(message, jobId, id));
  });
  let lost = false;
  subscriber.on('close', () => void (lost = true));
  subscriber.on('ready', () => {
    if (!lost) return;
    lost = false;
    // Only once the subscription is confirmed can a history read be sure to see what was
    // published while the connection was away (ioredis also re-subscribes; a repeat is harmless).
    subscriber.subscribe(channel).then(
      () => {
        for (const jobId of [...listeners.keys()]) wake(jobId, { check: 'history' });
      },
      () => undefined,
    );
  });
  await subscriber.subscribe(channel);
  const stopEndings = options.endings?.((jobId) => wake(jobId, { check: 'finished' }));
  return {
    subscribe(jobId, listener) {
      let set = listeners.get(jobId);
      if (!set) listeners.set(jobId, (set = new Set()));
      set.add(listener);
      count += 1;
      options.onCountChange?.(count);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        set.delete(listener);
        if (set.size === 0) listeners.delete(jobId);
        count -= 1;
        options.onCountChange?.(count);
      };
    },
    subscriberCount: () => count,
    async close() {
      stopEndings?.();
      listeners.clear();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
