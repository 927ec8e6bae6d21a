import { Observable, setHeaderMiddleware, type ConfigurationOptions, type ObservableMiddleware, type RequestContext } from '@kubernetes/client-node';

function addSignal(context: RequestContext, signal: AbortSignal): RequestContext {
  const current = context.getSignal();
  context.setSignal(current ? AbortSignal.any([current, signal]) : signal);
  return context;
}

/**
 * A deadline for every request a client sends (client-node sets none, so a hung API server
 * stalled a sweep or a billing lookup for ever). Watches stream through their own fetch and are
 * bounded by their callers. Installed on the client, ahead of any per-call middleware.
 */
export function requestDeadline(timeoutMs: number): ObservableMiddleware {
  return {
    pre: (context) => new Observable(Promise.resolve(addSignal(context, AbortSignal.timeout(timeoutMs)))),
    post: (response) => new Observable(Promise.resolve(response)),
  };
}

function abortWith(signal: AbortSignal): ObservableMiddleware {
  return {
    pre: (context) => new Observable(Promise.resolve(addSignal(context, signal))),
    post: (response) => new Observable(Promise.resolve(response)),
  };
}

/**
 * Per-call options that abort the request with `signal` (a job's cancellation, lease loss or
 * deadline), plus any extra middleware. Appended, so the client's own middleware (User-Agent, the
 * request deadline) still runs: client-node's default strategy replaces it.
 */
export function callOptions(signal: AbortSignal | undefined, extra: ObservableMiddleware[] = []): ConfigurationOptions | undefined {
  const middleware = [...(signal ? [abortWith(signal)] : []), ...extra];
  return middleware.length === 0 ? undefined : { middleware, middlewareMergeStrategy: 'append' };
}

/** A Content-Type for one call (a merge patch). */
export const contentType = (value: string): ObservableMiddleware => setHeaderMiddleware('Content-Type', value);

/**
 * Refuses to start a write once the job's signal has aborted: a request already sent cannot be
 * taken back, but none is sent after a cancellation, a lost lease or a passed deadline.
 */
export function beforeWrite(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}
