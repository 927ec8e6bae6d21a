import type { Redis } from 'ioredis';

/** Told that a job's history grew, up to `id`; the listener reads the history itself. */
type Listener = (announced: { id: string }) => void;

/**
 * Fans one Redis subscription out to every SSE subscriber in this process, so Redis connections
 * do not grow with subscribers. An announcement is only a wake-up: pub/sub may lose, repeat or
 * reorder it, so readers take events from the durable history (see job-event-stream.ts).
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
    let announced: { jobId?: unknown; id?: unknown };
    try {
      announced = JSON.parse(message) as typeof announced;
    } catch {
      return;
    }
    const { jobId, id } = announced;
    if (typeof jobId !== 'string' || typeof id !== 'string') return;
    for (const listener of listeners.get(jobId) ?? []) listener({ id });
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
