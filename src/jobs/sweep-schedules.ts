import type { Queue } from 'bullmq';
import type { Config } from '../config/config.schema.ts';
import type { SweepName } from './sweep-catalog.ts';

/**
 * Registers the sweeps as BullMQ job schedulers. Upserting is idempotent and keyed by scheduler
 * id, so every worker replica calls this at start and the queue still produces one sweep job per
 * period (the original ran its timers in every replica, without a lock). Sweep jobs are few and
 * small: only the last hundred are kept.
 */
export async function scheduleSweeps(queue: Queue, config: Pick<Config, 'provisioning'>): Promise<void> {
  const every: Record<SweepName, number> = {
    'expiry-sweep': config.provisioning.expiry.sweepSeconds * 1000,
    'reconcile-sweep': config.provisioning.reconcile.sweepSeconds * 1000,
    'rollout-sweep': config.provisioning.rollouts.tickSeconds * 1000,
  };
  for (const [name, ms] of Object.entries(every) as Array<[SweepName, number]>) {
    await queue.upsertJobScheduler(
      name,
      { every: ms },
      {
        name,
        data: {},
        opts: { removeOnComplete: 100, removeOnFail: 100, attempts: 1 },
      },
    );
  }
}
