import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { workerErrorListener, type RedisOutageListener } from '../worker/worker-errors.ts';
import { requestDeprovision, requestHibernate, type IntakeDeps } from '../lifecycle/intake.ts';
import { settle } from './billing-intake.ts';
import { classifyStatus, type BillingMapping, type StatusClass } from './billing-mapping.ts';
import { BILLING_SCHEDULES_QUEUE, ScheduledAction } from './billing-schedules.ts';
import type { StripeApi } from './stripe-api.ts';
import { isTerminal, snapshotOf } from './subscription-snapshot.ts';
import type { SubscriptionLedger } from './subscription-ledger.ts';

export type ScheduledActionDeps = {
  /** The lifecycle core's intake: hibernate and deprovision need no preflight. */
  lifecycle: IntakeDeps;
  /** null without an API key: the schedule is trusted (a payment cancels it when its event arrives). */
  api: StripeApi | null;
  ledger: Pick<SubscriptionLedger, 'isEnded'>;
  mapping: BillingMapping;
  logger: Logger;
};

// What the subscription must still be for the delayed action to go ahead.
const STILL: Record<ScheduledAction['reason'], StatusClass[]> = {
  'payment-past-due': ['pastDue', 'cancelled'],
  'subscription-cancelled': ['cancelled'],
};

/**
 * Fires one delayed action: reads the tenant and, with an API key, its subscription again, so a
 * payment whose cancel did not reach us still stops the hibernation. The lifecycle job id is fixed
 * per scheduled job, so a retry of this job never queues the operation twice.
 */
export async function fireScheduledAction(deps: ScheduledActionDeps, job: Pick<Job, 'id' | 'timestamp' | 'data'>): Promise<string> {
  const parsed = ScheduledAction.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError('not a billing scheduled action');
  const { action, tenantId, reason } = parsed.data;
  const tenant = (await deps.lifecycle.tenants.read(tenantId))?.tenant;
  if (!tenant) return 'tenant gone';
  const subscriptionId = tenant.stripeSubscriptionId;
  if (deps.api && subscriptionId) {
    const snapshot = snapshotOf(await deps.api.retrieveSubscription(subscriptionId));
    if (!snapshot) throw new Error(`the Stripe API returned no subscription for ${subscriptionId}`);
    const ended = isTerminal(snapshot.status) || (await deps.ledger.isEnded(subscriptionId));
    const now = ended ? 'cancelled' : classifyStatus(snapshot.status, deps.mapping);
    if (!STILL[reason].includes(now)) return `skipped: the subscription is ${snapshot.status} now`;
  }
  const options = { jobId: `${job.id}-${job.timestamp}`, reason: 'billing' as const };
  const request = action === 'hibernate' ? requestHibernate(deps.lifecycle, tenantId, options) : requestDeprovision(deps.lifecycle, tenantId, options);
  const accepted = await settle(deps.logger, tenantId, action, request);
  if (!accepted) return `nothing to do: tenant ${tenantId} is gone or being removed`;
  deps.logger.info({ tenantId, action, reason, jobId: accepted.jobId }, 'billing: scheduled action queued');
  return `${action} queued`;
}

export type ScheduledWorkerOptions = {
  connection: ConnectionOptions;
  prefix: string;
  /** The process's Redis outage reporter; without one, errors are logged once per distinct message and window. */
  redisOutage?: RedisOutageListener | undefined;
};

/** The worker for billing's delayed actions; the caller runs it (`autorun` is off) and closes it. */
export function createScheduledActionWorker(deps: ScheduledActionDeps, options: ScheduledWorkerOptions): Worker {
  const worker = new Worker(BILLING_SCHEDULES_QUEUE, (job: Job) => fireScheduledAction(deps, job), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 1,
    autorun: false,
  });
  worker.on('failed', (job, error) => deps.logger.warn({ err: error, jobId: job?.id }, 'billing: scheduled action failed'));
  worker.on('error', workerErrorListener(deps.logger, 'billing schedules worker', options.redisOutage));
  return worker;
}
