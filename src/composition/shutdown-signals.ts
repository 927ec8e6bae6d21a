const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Runs `shutdown` on the first SIGTERM or SIGINT; a second one means "now" and goes to `force`.
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
): void {
  let received = false;
  for (const signal of SIGNALS) {
    target.on(signal, () => {
      if (received) return force(signal);
      received = true;
      shutdown(signal);
    });
  }
}
