import type { BillingActions, BillingContext } from './billing-actions.ts';
import type { BillingStep } from './billing-decision.ts';
import type { BillingProvisionInput } from './customer-profile.ts';

/** Builds the provision request for a provision step, or undefined when the customer lacks what it needs. */
export type ProvisionInputSource = (step: Extract<BillingStep, { type: 'provision' }>) => Promise<BillingProvisionInput | undefined>;

/**
 * Carries out a decision's steps in order (update before resume, hibernate before deprovision, as
 * `decide` lists them). Stops at the first failure: the event is then released and redelivered, and
 * deciding again from the recorded state skips what already happened. Returns the steps taken.
 */
export async function applySteps(
  steps: readonly BillingStep[],
  actions: BillingActions,
  provisionInput: ProvisionInputSource,
  context: BillingContext,
): Promise<BillingStep['type'][]> {
  const taken: BillingStep['type'][] = [];
  for (const step of steps) {
    switch (step.type) {
      case 'provision': {
        const input = await provisionInput(step);
        if (!input) continue;
        await actions.provision(input, context);
        break;
      }
      case 'link':
        await actions.linkSubscription(step.tenantId, { customerId: step.customerId, subscriptionId: step.subscriptionId }, context);
        break;
      case 'cancel-scheduled':
        await actions.cancelScheduled(step.tenantId, step.keys, context);
        break;
      case 'update':
        await actions.update(step.tenantId, { tier: step.tier, clearExpiry: step.clearExpiry }, context);
        break;
      case 'resume':
        await actions.resume(step.tenantId, context);
        break;
      case 'hibernate':
        await actions.hibernate(step.tenantId, { reason: step.reason, schedule: step.schedule }, context);
        break;
      case 'deprovision':
        await actions.deprovision(step.tenantId, { schedule: step.schedule }, context);
        break;
    }
    taken.push(step.type);
  }
  return taken;
}
