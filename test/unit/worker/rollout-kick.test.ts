import { EventEmitter } from 'node:events';
import type { Job, Queue, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { rolloutJobId } from '../../../src/lifecycle/rollout-progress.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { tickRolloutsWhenUpdatesFinish } from '../../../src/worker/rollout-kick.ts';

type Added = { name: string; jobId: string | undefined };

function setup(refuse = false) {
  const worker = new EventEmitter();
  const added: Added[] = [];
  const maintenance = {
    async add(name: string, _data: unknown, opts?: { jobId?: string }) {
      if (refuse) throw new Error('Connection is closed.');
      added.push({ name, jobId: opts?.jobId });
      return {} as Job;
    },
  };
  tickRolloutsWhenUpdatesFinish(worker as unknown as Worker, maintenance as unknown as Queue, createLogger({ level: 'silent', pretty: false }));
  return { worker, added };
}

const job = (id: string, attemptsMade = 1, attempts = 3) => ({ id, attemptsMade, opts: { attempts } }) as unknown as Job;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('tickRolloutsWhenUpdatesFinish', () => {
  it("queues a rollout tick, under an id of the finished job's own, when a rollout's update completes", async () => {
    const { worker, added } = setup();
    const id = rolloutJobId('r1', 'acme');
    worker.emit('completed', job(id));
    worker.emit('completed', job(id));
    await settle();
    expect(added).toEqual([
      { name: 'rollout-sweep', jobId: `tick-after-${id}` },
      { name: 'rollout-sweep', jobId: `tick-after-${id}` },
    ]);
  });

  it('ticks on the last failed attempt only: an attempt to be retried changes nothing a tick reads', async () => {
    const { worker, added } = setup();
    const id = rolloutJobId('r1', 'acme');
    worker.emit('failed', job(id, 1, 3), new Error('helm'));
    worker.emit('failed', job(id, 2, 3), new Error('helm'));
    await settle();
    expect(added).toEqual([]);
    worker.emit('failed', job(id, 3, 3), new Error('helm'));
    await settle();
    expect(added).toEqual([{ name: 'rollout-sweep', jobId: `tick-after-${id}` }]);
  });

  it("leaves other jobs (a tenant's own update, a provision) to the scheduled tick", async () => {
    const { worker, added } = setup();
    worker.emit('completed', job('0b6f6f2e-provision'));
    worker.emit('failed', job('update-acme', 3, 3), new Error('x'));
    worker.emit('failed', undefined, new Error('x'));
    await settle();
    expect(added).toEqual([]);
  });

  it('a tick that cannot be queued (Redis down) is logged, not thrown from the event listener', async () => {
    const { worker, added } = setup(true);
    expect(() => worker.emit('completed', job(rolloutJobId('r1', 'acme')))).not.toThrow();
    await settle();
    expect(added).toEqual([]);
  });
});
