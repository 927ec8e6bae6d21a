import type { Redis } from 'ioredis';
import type { StoredJobEvent } from './job-events.schema.ts';

type Listener = (event: StoredJobEvent) => void;

/**
 * Fans one Redis subscription out to every SSE subscriber in this process, so Redis connections
 * do not grow with subscribers.
 */
export interface JobEventHub {
  subscribe(jobId: string, listener: Listener): () => void;
  subscriberCount(): number;
  close(): Promise<void>;
}

export async function createJobEventHub(subscriber: Redis, channel: string, onCountChange?: (count: number) => void): Promise<JobEventHub> {
  const listeners = new Map<string, Set<Listener>>();
  let count = 0;
  subscriber.on('message', (_channel: string, message: string) => {
    let event: StoredJobEvent;
    try {
      event = JSON.parse(message) as StoredJobEvent;
    } catch {
      return;
    }
    for (const listener of listeners.get(event.jobId) ?? []) listener(event);
  });
  await subscriber.subscribe(channel);
  return {
    subscribe(jobId, listener) {
      let set = listeners.get(jobId);
      if (!set) listeners.set(jobId, (set = new Set()));
      set.add(listener);
      // Not `onCountChange?.(++count)`: an optional call skips evaluating its argument when absent.
      count += 1;
      onCountChange?.(count);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        set.delete(listener);
        if (set.size === 0) listeners.delete(jobId);
        count -= 1;
        onCountChange?.(count);
      };
    },
    subscriberCount: () => count,
    async close() {
      listeners.clear();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
