import type { JobLogEntry, JobProgress } from '../jobs/job-events.schema.ts';

/** How a step tells the outside world what it is doing. */
export type StepReporter = {
  progress(progress: JobProgress): Promise<void>;
  log(level: JobLogEntry['level'], step: string, message: string): Promise<void>;
  /** A step's note that could not be written (Redis read-only or out of memory); must not throw. */
  unwritten(step: string, message: string, error: unknown): void;
};

export type StepContext = {
  /** Aborts on the step's timeout, on worker shutdown and on job cancellation. */
  signal: AbortSignal;
  /**
   * Structured log entry for this step, visible in the job's log and SSE stream. Never rejects:
   * readiness callbacks call it without awaiting (`onChange: (r) => void note(r)`), and one refused
   * write during a Redis failover must not end the process in the middle of Helm.
   */
  note(message: string, level?: JobLogEntry['level']): Promise<void>;
};

/** One named, idempotent step of an operation: running it again after a crash must converge. */
export type Step = {
  name: string;
  timeoutSeconds: number;
  /** False for steps that only read or wait; every other step runs only after the guard passes. */
  mutates?: boolean;
  /** Returns the message reported when the step is done. */
  run(context: StepContext): Promise<string>;
};

export class StepFailedError extends Error {
  readonly step: string;
  override readonly cause: unknown;
  constructor(step: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'StepFailedError';
    this.step = step;
    this.cause = cause;
  }
}

export class StepTimeoutError extends Error {
  constructor(step: string, seconds: number) {
    super(`step ${step} did not finish within ${seconds} s`);
    this.name = 'StepTimeoutError';
  }
}

export type RunOptions = {
  /**
   * Called before each mutating step; throwing stops the plan before it changes anything. The
   * worker checks its tenant lease here: a job whose fencing token is stale must not mutate.
   */
  guard?: (step: Step) => Promise<void>;
  /** Observes each step's duration and outcome (metrics). */
  onStepFinished?: (step: string, outcome: 'ok' | 'error', durationMs: number) => void;
};

/**
 * Runs steps in order, with a timeout each, reporting progress after every step. A failure is
 * rethrown as StepFailedError naming the step, so the job records where and why it stopped.
 */
export async function runSteps(steps: readonly Step[], reporter: StepReporter, signal: AbortSignal, options: RunOptions = {}): Promise<void> {
  const total = steps.length;
  for (const [index, step] of steps.entries()) {
    signal.throwIfAborted();
    if (step.mutates !== false && options.guard) await options.guard(step);
    const timeout = AbortSignal.timeout(step.timeoutSeconds * 1000);
    const stepSignal = AbortSignal.any([signal, timeout]);
    const note = (message: string, level: JobLogEntry['level'] = 'info') =>
      reporter.log(level, step.name, message).catch((error: unknown) => reporter.unwritten(step.name, message, error));
    await reporter.progress({
      step: step.name,
      stepIndex: index,
      totalSteps: total,
      percent: Math.floor((index / total) * 100),
      message: `${step.name} started`,
    });
    let message: string;
    const started = performance.now();
    try {
      message = await abortable(step.run({ signal: stepSignal, note }), stepSignal);
      options.onStepFinished?.(step.name, 'ok', performance.now() - started);
    } catch (error) {
      options.onStepFinished?.(step.name, 'error', performance.now() - started);
      const cause = timeout.aborted && !signal.aborted ? new StepTimeoutError(step.name, step.timeoutSeconds) : error;
      await reporter.log('error', step.name, cause instanceof Error ? cause.message : String(cause)).catch(() => undefined);
      throw new StepFailedError(step.name, cause);
    }
    await reporter.log('info', step.name, message);
    await reporter.progress({ step: step.name, stepIndex: index + 1, totalSteps: total, percent: Math.floor(((index + 1) / total) * 100), message });
  }
}

// A step that ignores its signal still cannot outlive its timeout.
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The step saw the same abort and rejects with it too; unobserved, that would crash the process.
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
