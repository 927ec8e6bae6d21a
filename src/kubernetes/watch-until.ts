import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject, Watch } from '@kubernetes/client-node';
import { isForbidden, isNotFound } from './kube-errors.ts';

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
  /** How long a 403 may last before it is the role's fault rather than a restarting API server's (default 10 s). */
  forbiddenGraceMs?: number;
};

export class WatchForbiddenError extends Error {
  /** The HTTP status, where `isPermanentKubeError` looks for it: a refusal is not retried. */
  readonly code = 403;
  constructor(what: string, seconds: number) {
    super(`${what} is forbidden (403), still after ${seconds} s: the service's role does not allow it`);
    this.name = 'WatchForbiddenError';
  }
}

/**
 * Resolves once `check` accepts the object, observing it with a watch rather than polling: one GET
 * for the current state and resourceVersion, then a watch from there. When the watch ends (API
 * server restart, 410 Gone, network) it re-reads and watches again until the deadline. A read or a
 * watch refused with 403 for longer than `forbiddenGraceMs` throws `WatchForbiddenError`: an RBAC
 * gap is not "not ready yet" (nor a reason to fall back to polling), but an API server that has
 * just restarted refuses requests for a moment until its RBAC caches have synced.
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

  const graceMs = options.forbiddenGraceMs ?? 10_000;
  const since: { read?: number; watch?: number } = {};
  const refused = (kind: 'read' | 'watch') => {
    const first = (since[kind] ??= Date.now());
    if (Date.now() - first >= graceMs) throw new WatchForbiddenError(`${kind === 'read' ? 'Reading' : 'Watching'} ${options.what}`, Math.round(graceMs / 1000));
    lastReason = `${kind} forbidden (403); trying again in case the API server is still syncing its RBAC caches`;
  };

  let backoffMs = 100;
  // A watch that fails (no answer, 5xx) is retried after a growing pause too: with a read that
  // still answers, a fixed 100 ms made a GET and a failed watch ten times a second per wait.
  let watchBackoffMs = 100;
  while (!signal.aborted) {
    let current: O | undefined;
    try {
      current = await options.read();
      delete since.read;
    } catch (error) {
      if (!isNotFound(error)) {
        if (isForbidden(error)) refused('read');
        else lastReason = `cannot read: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
        await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
        backoffMs = Math.min(backoffMs * 2, 2_000);
        continue;
      }
    }
    const immediate = observe(current);
    if (immediate !== undefined) return immediate;
    backoffMs = 100;

    const found = await new Promise<{ value?: T; refused?: true; failed?: true }>((resolve) => {
      let controller: AbortController | undefined;
      let settled = false;
      const finish = (result: { value?: T; refused?: true; failed?: true }) => {
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
        .watch(
          options.path,
          query,
          (phase, object: O) => {
            if (phase === 'BOOKMARK' || phase === 'ERROR') return;
            const value = observe(phase === 'DELETED' ? undefined : object);
            if (value !== undefined) finish({ value });
          },
          (error: unknown) => {
            if ((error as { statusCode?: number } | null)?.statusCode === 403) finish({ refused: true });
            else finish(error && !signal.aborted ? { failed: true } : {});
          },
        )
        .then(
          (c) => {
            controller = c;
            // The watch was accepted: an earlier refusal is over.
            if (!settled) delete since.watch;
            if (settled) c.abort();
          },
          () => finish({ failed: true }),
        );
    });
    if ('value' in found && found.value !== undefined) return found.value;
    // Without this, a refused watch would quietly turn into polling: a GET and a refused watch every 100 ms.
    if (found.refused) {
      refused('watch');
      await sleep(500, undefined, { signal }).catch(() => undefined);
      continue;
    }
    if (signal.aborted) break;
    await sleep(found.failed ? watchBackoffMs : 100, undefined, { signal }).catch(() => undefined);
    watchBackoffMs = found.failed ? Math.min(watchBackoffMs * 2, 2_000) : 100;
  }
  if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
  throw new WatchTimeoutError(options.what, Math.round(options.timeoutMs / 1000), lastReason);
}
