import type { TierName } from '../domain/tiers.ts';

/** A fixed operations job id: asking again with it is one job, as BullMQ ignores a second add. */
export type IntakeOptions = { jobId?: string };

/**
 * The tenant lifecycle's intake (`src/jobs/lifecycle-intake.ts`) as billing calls it, bound to its
 * dependencies by the composition root. Each records the intent on the tenant, then queues the job.
 * Resolves when the request was accepted, or there was nothing to do because the tenant is gone or
 * being removed; throws for anything Stripe should retry.
 */
export interface LifecycleIntake {
  /** Demo → paid clears the expiry in the lifecycle's own update plan. */
  update(tenantId: string, change: { subscriptionTier: TierName }, options: IntakeOptions): Promise<unknown>;
  hibernate(tenantId: string, options: IntakeOptions): Promise<unknown>;
  resume(tenantId: string, options: IntakeOptions): Promise<unknown>;
  deprovision(tenantId: string, options: IntakeOptions): Promise<unknown>;
}
