const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * A second signal this soon after the first is the same request, not an impatient one: a terminal's
 * Ctrl-C reaches the whole foreground process group, and a supervisor in that group (`npm run dev`'s
 * script, npm itself) passes it on as SIGTERM a moment later. Counted as "now", it made every Ctrl-C
 * of `npm run dev` exit without draining.
 */
export const SAME_REQUEST_MS = 1_000;

/**
 * Runs `shutdown` on the first SIGTERM or SIGINT; another one at least SAME_REQUEST_MS later means
 * "now" and goes to `force`.
 *
 * The listeners stay registered (`on`, never `once`). execa's child cleanup (signal-exit) re-raises
 * a signal when it finds itself the only listener left, and a `once` listener has already removed
 * itself by the time signal-exit looks: a SIGTERM that arrived while a Helm child ran killed the
 * worker outright (exit 143, no drain) instead of draining it.
 */
export function onShutdownSignal(
  shutdown: (signal: NodeJS.Signals) => void,
  force: (signal: NodeJS.Signals) => void,
  target: Pick<NodeJS.Process, 'on'> = process,
  now: () => number = () => performance.now(),
): void {
  let firstAt: number | undefined;
  for (const signal of SIGNALS) {
    target.on(signal, () => {
      if (firstAt === undefined) {
        firstAt = now();
        shutdown(signal);
      } else if (now() - firstAt >= SAME_REQUEST_MS) force(signal);
    });
  }
}
