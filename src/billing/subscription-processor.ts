import { DependencyUnavailableError } from '../domain/errors.ts';
import { applySteps, type BillingContext, type BillingIntakeDeps, type ProvisionInputSource } from './billing-intake.ts';
import { decide, type BillingDecision } from './billing-decision.ts';
import type { BillingMapping } from './billing-mapping.ts';
import { provisionInputFrom } from './customer-profile.ts';
import type { StripeApi } from './stripe-api.ts';
import { isTerminal, snapshotOf, type SubscriptionSnapshot } from './subscription-snapshot.ts';
import type { SubscriptionLedger } from './subscription-ledger.ts';
import type { SubscriptionLocks } from './subscription-lock.ts';
import { createTenantFinder } from './tenant-finder.ts';

/** The lifecycle core and billing's schedules (BillingIntakeDeps), and what deciding needs. */
export type SubscriptionProcessorDeps = BillingIntakeDeps & {
  mapping: BillingMapping;
  /** null: no API key, so the signed event payload is the only source. */
  api: StripeApi | null;
  ledger: SubscriptionLedger;
  locks: SubscriptionLocks;
};

export type ProcessResult = {
  subscriptionId: string;
  status: string;
  source: 'api' | 'event';
  tenantId: string | undefined;
  decision: BillingDecision;
  taken: string[];
};

const stripeDown = (cause: unknown) =>
  new DependencyUnavailableError('The Stripe API', cause, 'The Stripe API is unavailable; Stripe will redeliver the event');

async function fromStripe<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw stripeDown(error);
  }
}

/**
 * Handles one subscription event under the subscription's lock. The state acted on is the
 * subscription as Stripe has it now (fetched when an API key is configured), made sticky once it
 * ended; the event only says which subscription to look at. So delivery order cannot matter.
 */
export function createSubscriptionProcessor(deps: SubscriptionProcessorDeps) {
  const { api, ledger } = deps;
  const findTenant = createTenantFinder(deps.lifecycle.tenants);

  const current = async (payload: SubscriptionSnapshot): Promise<SubscriptionSnapshot> => {
    if (!api) return payload;
    const fetched = snapshotOf(await fromStripe(api.retrieveSubscription(payload.id)));
    if (!fetched) throw stripeDown(new Error(`the Stripe API returned no subscription for ${payload.id}`));
    return fetched;
  };

  const provisionInput =
    (subscription: SubscriptionSnapshot, context: BillingContext): ProvisionInputSource =>
    async (step) => {
      const customer = api ? await fromStripe(api.retrieveCustomer(step.customerId)) : undefined;
      const result = provisionInputFrom(customer, subscription.metadata, step);
      if ('input' in result) return result.input;
      // Redelivery cannot fix missing customer data; a later subscription event will, once it is set.
      context.logger.error(
        { subscriptionId: step.subscriptionId, customerId: step.customerId, errors: result.errors },
        'paid subscription not provisioned: the customer lacks company or owner details',
      );
      return undefined;
    };

  return async function process(created: number, payload: SubscriptionSnapshot, context: BillingContext): Promise<ProcessResult> {
    return deps.locks.withLock(payload.id, async () => {
      const last = api ? undefined : await ledger.lastApplied(payload.id);
      if (last !== undefined && created < last) {
        const decision = { steps: [], reason: 'an event newer than this one was already applied' };
        return { subscriptionId: payload.id, status: payload.status, source: 'event', tenantId: undefined, decision, taken: [] };
      }
      const fetched = await current(payload);
      const ended = isTerminal(payload.status) || isTerminal(fetched.status) || (await ledger.isEnded(payload.id));
      if (ended) await ledger.markEnded(payload.id);
      const subscription = ended && !isTerminal(fetched.status) ? { ...fetched, status: 'canceled' } : fetched;

      const tenant = await findTenant(subscription.customerId, subscription.id);
      const decision = decide(tenant, subscription, deps.mapping, deps.now());
      const taken = await applySteps(deps, decision.steps, provisionInput(subscription, context), context);
      if (!api) await ledger.recordApplied(payload.id, created);
      return {
        subscriptionId: subscription.id,
        status: subscription.status,
        source: api ? 'api' : 'event',
        tenantId: tenant?.tenantId,
        decision,
        taken,
      };
    });
  };
}
export type SubscriptionProcessor = ReturnType<typeof createSubscriptionProcessor>;
