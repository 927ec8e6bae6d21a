import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';

/** Billing's delayed actions wait on a queue of their own, apart from tenant operations. */
export const BILLING_SCHEDULES_QUEUE = 'billing-schedules';

/** A delayed billing action; the tenant's subscription is read again when it fires. */
export const ScheduledAction = z.strictObject({
  action: z.enum(['hibernate', 'deprovision']),
  tenantId: z.string().min(1),
  reason: z.enum(['payment-past-due', 'subscription-cancelled']),
});
export type ScheduledAction = z.infer<typeof ScheduledAction>;

export interface BillingSchedules {
  /** At most one pending job per key: scheduling a pending key changes nothing (the first deadline holds). */
  schedule(key: string, action: ScheduledAction, notBefore: Date): Promise<void>;
  /** Drops pending jobs with these keys; running or absent ones are left alone. */
  cancel(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export type BillingSchedulesOptions = { connection: ConnectionOptions; prefix: string; now?: () => Date };

/**
 * Delayed BullMQ jobs whose id is the schedule key. BullMQ ignores an add whose id exists, which
 * gives "one pending per key"; finished jobs are removed at once so that the key can be scheduled
 * anew (a second past-due period after a paid one).
 */
export function createBillingSchedules(options: BillingSchedulesOptions): BillingSchedules {
  const queue = new Queue(BILLING_SCHEDULES_QUEUE, { connection: options.connection, prefix: options.prefix });
  const now = options.now ?? (() => new Date());
  return {
    async schedule(key, action, notBefore) {
      await queue.add(action.action, ScheduledAction.parse(action), {
        jobId: key,
        delay: Math.max(0, notBefore.getTime() - now().getTime()),
        attempts: 10,
        backoff: { type: 'exponential', delay: 30_000 },
        removeOnComplete: true,
        removeOnFail: true,
      });
    },
    async cancel(keys) {
      for (const key of keys) {
        const job = await queue.getJob(key);
        // Only a job still waiting: one that is running has decided already and re-checks Stripe itself.
        if (job && (await job.isDelayed())) await job.remove().catch(() => undefined);
      }
    },
    close: () => queue.close(),
  };
}
