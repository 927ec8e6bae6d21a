/**
 * One run of `start` shared by every caller while it is in flight, and remembered once it succeeds.
 * Each caller may give up with its own signal; the run itself is aborted only when every caller
 * waiting for it has given up, and a run that failed or was aborted is forgotten, so the next call
 * starts afresh instead of inheriting someone else's cancellation.
 */
export function sharedCall<T>(start: (signal: AbortSignal) => Promise<T>): (signal?: AbortSignal) => Promise<T> {
  type Run = { promise: Promise<T>; controller: AbortController; waiting: number; settled: boolean };
  let current: Run | undefined;

  const forget = (run: Run) => {
    if (current === run) current = undefined;
  };

  return (signal) => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!current) {
      const controller = new AbortController();
      const run: Run = { controller, waiting: 0, settled: false, promise: start(controller.signal) };
      run.promise.then(
        () => (run.settled = true),
        () => {
          run.settled = true;
          forget(run);
        },
      );
      current = run;
    }
    const run = current;
    if (run.settled) return run.promise;
    run.waiting += 1;
    return new Promise<T>((resolve, reject) => {
      let gaveUp = false;
      const giveUp = () => {
        gaveUp = true;
        reject(signal!.reason);
        run.waiting -= 1;
        if (run.waiting === 0 && !run.settled) {
          forget(run);
          run.controller.abort(signal!.reason);
        }
      };
      signal?.addEventListener('abort', giveUp, { once: true });
      run.promise.then(resolve, reject).finally(() => {
        signal?.removeEventListener('abort', giveUp);
        if (!gaveUp) run.waiting -= 1;
      });
    });
  };
}
