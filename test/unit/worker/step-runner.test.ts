import { describe, expect, it } from 'vitest';
import { runSteps, StepFailedError, StepTimeoutError, type Step, type StepReporter } from '../../../src/worker/step-runner.ts';
import type { JobProgress } from '../../../src/jobs/job-events.schema.ts';

function recorder() {
  const progress: JobProgress[] = [];
  const logs: Array<{ level: string; step: string; message: string }> = [];
  const unwritten: Array<{ step: string; message: string }> = [];
  const reporter: StepReporter = {
    progress: async (p) => void progress.push(p),
    log: async (level, step, message) => void logs.push({ level, step, message }),
    unwritten: (step, message) => void unwritten.push({ step, message }),
  };
  return { progress, logs, unwritten, reporter };
}

const step = (name: string, run: Step['run'], timeoutSeconds = 5): Step => ({ name, timeoutSeconds, run });

describe('runSteps', () => {
  it('runs steps in order and reports progress before and after each, ending at 100%', async () => {
    const order: string[] = [];
    const { progress, logs, reporter } = recorder();
    await runSteps(
      [step('a', async () => (order.push('a'), 'did a')), step('b', async ({ note }) => (await note('half way'), order.push('b'), 'did b'))],
      reporter,
      new AbortController().signal,
    );
    expect(order).toEqual(['a', 'b']);
    expect(progress.map((p) => [p.step, p.stepIndex, p.percent])).toEqual([
      ['a', 0, 0],
      ['a', 1, 50],
      ['b', 1, 50],
      ['b', 2, 100],
    ]);
    expect(progress.at(-1)).toMatchObject({ totalSteps: 2, message: 'did b' });
    expect(logs).toContainEqual({ level: 'info', step: 'b', message: 'half way' });
  });

  it('names the failed step and stops there', async () => {
    const { reporter, logs } = recorder();
    let ranAfter = false;
    const error = await runSteps(
      [
        step('deploy', async () => {
          throw new Error('chart rejected');
        }),
        step('after', async () => ((ranAfter = true), 'no')),
      ],
      reporter,
      new AbortController().signal,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    expect(error).toMatchObject({ step: 'deploy', message: 'chart rejected' });
    expect(ranAfter).toBe(false);
    expect(logs.at(-1)).toEqual({ level: 'error', step: 'deploy', message: 'chart rejected' });
  });

  it('enforces the step timeout even when the step ignores its signal', async () => {
    const { reporter } = recorder();
    const started = Date.now();
    const error = await runSteps([step('slow', () => new Promise(() => undefined), 0.2)], reporter, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as StepFailedError).cause).toBeInstanceOf(StepTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops when the job is cancelled and does not call it a timeout', async () => {
    const { reporter } = recorder();
    const controller = new AbortController();
    const run = runSteps(
      [step('wait', ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))))],
      reporter,
      controller.signal,
    );
    controller.abort(new Error('worker shutting down'));
    const error = await run.catch((e: unknown) => e);
    expect((error as StepFailedError).cause).not.toBeInstanceOf(StepTimeoutError);
  });

  it('runs the guard before each mutating step only, and a failing guard stops the plan before the step changes anything', async () => {
    const { reporter } = recorder();
    const guarded: string[] = [];
    const ran: string[] = [];
    let allow = 2;
    const error = await runSteps(
      [
        step('mark', async () => (ran.push('mark'), 'marked')),
        { ...step('wait', async () => (ran.push('wait'), 'waited')), mutates: false },
        step('deploy', async () => (ran.push('deploy'), 'deployed')),
        step('record', async () => (ran.push('record'), 'recorded')),
      ],
      reporter,
      new AbortController().signal,
      {
        guard: async (s) => {
          guarded.push(s.name);
          if (--allow < 0) throw new Error('lease lost');
        },
      },
    ).catch((e: unknown) => e);
    expect(guarded).toEqual(['mark', 'deploy', 'record']);
    expect(ran).toEqual(['mark', 'wait', 'deploy']);
    expect(error).toMatchObject({ message: 'lease lost' });
  });

  it('leaves no unhandled rejection when the job is cancelled while the guard runs (a worker once crashed on it)', async () => {
    const { reporter } = recorder();
    const controller = new AbortController();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const error = await runSteps(
        [
          step('wait', async ({ signal }) => {
            signal.throwIfAborted();
            return 'never';
          }),
        ],
        reporter,
        controller.signal,
        {
          guard: async () => void controller.abort('job lock lost'),
        },
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ step: 'wait' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a note whose write Redis refuses (READONLY, OOM) never rejects: the step carries on and the loss is reported (a worker once died of it)', async () => {
    const { reporter, logs, unwritten } = recorder();
    const log = reporter.log;
    // Redis refuses writes while the step waits, and accepts them again before it ends.
    let refusing = false;
    reporter.log = async (level, step, message) => {
      if (refusing) throw new Error("READONLY You can't write against a read only replica.");
      return log(level, step, message);
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await runSteps(
        [
          step('wait-for-api', async ({ note }) => {
            refusing = true;
            // As readiness callbacks call it: `onChange: (r) => void note(r)`, never awaited.
            for (const reason of ['api 0/1 replicas ready', 'api 0/2 replicas ready']) void note(reason, 'debug');
            await new Promise((resolve) => setTimeout(resolve, 20));
            refusing = false;
            return 'API ready';
          }),
        ],
        reporter,
        new AbortController().signal,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(unwritten).toEqual([
      { step: 'wait-for-api', message: 'api 0/1 replicas ready' },
      { step: 'wait-for-api', message: 'api 0/2 replicas ready' },
    ]);
    expect(logs.at(-1)).toEqual({ level: 'info', step: 'wait-for-api', message: 'API ready' });
  });
});
