import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject, Watch } from '@kubernetes/client-node';
import { isNotFound } from './kube-errors.ts';

/** What a readiness check says about the object it was shown (undefined: the object does not exist). */
export type Observation<T> = { done: true; value: T } | { done: false; reason: string };

export class WatchTimeoutError extends Error {
  constructor(what: string, seconds: number, lastReason: string) {
    super(`${what} not ready after ${seconds} s: ${lastReason}`);
    this.name = 'WatchTimeoutError';
  }
}

export type WatchUntilOptions<O extends KubernetesObject, T> = {
  watch: Watch;
  /** Collection path, e.g. `/apis/apps/v1/namespaces/{ns}/deployments`. */
  path: string;
  name: string;
  read: () => Promise<O>;
  check: (object: O | undefined) => Observation<T>;
  /** Called whenever the reason changes, so progress can say what is still missing. */
  onChange?: (reason: string) => void;
  timeoutMs: number;
  what: string;
  signal?: AbortSignal | undefined;
};

/**
 * Resolves once `check` accepts the object, observing it with a watch rather than polling: one GET
 * for the current state and resourceVersion, then a watch from there. When the watch ends (API
 * server restart, 410 Gone, network) it re-reads and watches again until the deadline.
 */
export async function watchUntil<O extends KubernetesObject, T>(options: WatchUntilOptions<O, T>): Promise<T> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let lastReason = 'not observed yet';
  const observe = (object: O | undefined): T | undefined => {
    const result = options.check(object);
    if (result.done) return result.value;
    if (result.reason !== lastReason) {
      lastReason = result.reason;
      options.onChange?.(result.reason);
    }
    return undefined;
  };

  let backoffMs = 100;
  while (!signal.aborted) {
    let current: O | undefined;
    try {
      current = await options.read();
    } catch (error) {
      if (!isNotFound(error)) {
        lastReason = `cannot read: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
        await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
        backoffMs = Math.min(backoffMs * 2, 2_000);
        continue;
      }
    }
    const immediate = observe(current);
    if (immediate !== undefined) return immediate;
    backoffMs = 100;

    const found = await new Promise<{ value?: T }>((resolve) => {
      let controller: AbortController | undefined;
      let settled = false;
      const finish = (result: { value?: T }) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        controller?.abort();
        resolve(result);
      };
      const onAbort = () => finish({});
      signal.addEventListener('abort', onAbort, { once: true });
      const query: Record<string, string | boolean> = { fieldSelector: `metadata.name=${options.name}`, allowWatchBookmarks: true };
      if (current?.metadata?.resourceVersion) query.resourceVersion = current.metadata.resourceVersion;
      options.watch
        .watch(options.path, query, (phase, object: O) => {
          if (phase === 'BOOKMARK' || phase === 'ERROR') return;
          const value = observe(phase === 'DELETED' ? undefined : object);
          if (value !== undefined) finish({ value });
        }, () => finish({}))
        .then((c) => {
          controller = c;
          if (settled) c.abort();
        }, () => finish({}));
    });
    if ('value' in found && found.value !== undefined) return found.value;
    if (!signal.aborted) await sleep(100, undefined, { signal }).catch(() => undefined);
  }
  if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
  throw new WatchTimeoutError(options.what, Math.round(options.timeoutMs / 1000), lastReason);
}
