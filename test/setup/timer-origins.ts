/**
 * Where each live timer was made. `process.getActiveResourcesInfo()` says only "Timeout", and Node
 * lists timers nowhere else, so the global timer functions are wrapped once per test worker to keep
 * the pending ones with their creation stack (captured, formatted only for a report). Async hooks
 * would see every timer too, but they also hook every promise, which slows the property tests.
 */
type Pending = { kind: string; origin: Error };

// Kept on the global object: a worker that runs several test files evaluates this module again for
// each, and must neither wrap the wrappers nor lose the timers made under the previous copy.
const state = ((globalThis as Record<symbol, unknown>)[Symbol.for('tenant-provisioner.timer-origins')] ??= {
  pending: new Map<NodeJS.Timeout, Pending>(),
  installed: false,
}) as { pending: Map<NodeJS.Timeout, Pending>; installed: boolean };
const { pending } = state;

export function trackTimers(): void {
  if (state.installed) return;
  state.installed = true;
  const { setTimeout: set, setInterval: every } = globalThis;
  const track = (timer: NodeJS.Timeout, kind: string) => {
    if (pending.size > 10_000) sweep();
    pending.set(timer, { kind, origin: new Error(kind) });
    return timer;
  };
  globalThis.setTimeout = Object.assign(
    (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => track(set(fn, ms, ...args), `setTimeout ${ms ?? 0} ms`),
    { __promisify__: set.__promisify__ },
  ) as typeof globalThis.setTimeout;
  globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    track(every(fn, ms, ...args), `setInterval ${ms ?? 0} ms`)) as typeof globalThis.setInterval;
}

/** The timers that keep the process alive (pending and ref'd), each as "<kind> from <first frame of ours>". */
export function liveTimers(): Map<NodeJS.Timeout, string> {
  const live = new Map<NodeJS.Timeout, string>();
  sweep();
  for (const [timer, { kind, origin }] of pending) if (timer.hasRef()) live.set(timer, `${kind}, created ${firstOwnFrame(origin)}`);
  return live;
}

/** Forgets the timers that fired or were cleared by any means: Node marks those destroyed. */
function sweep(): void {
  for (const timer of pending.keys()) if ((timer as unknown as { _destroyed?: boolean })._destroyed) pending.delete(timer);
}

/** The first stack frame in this project's code (not node_modules, not Node, not this setup). */
function firstOwnFrame(origin: Error): string {
  const frames = (origin.stack ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  const own = frames.find((f) => !/node_modules|node:|\(native\)|test\/setup\//.test(f));
  const frame = own ?? frames.find((f) => !/test\/setup\//.test(f)) ?? 'at an unknown place';
  return frame.replace(`${process.cwd()}/`, '').replace('file://', '');
}
