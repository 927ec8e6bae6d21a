import { z } from 'zod';

/** A subscription reduced to what billing decides from, whether it came in an event or from the API. */
export type SubscriptionSnapshot = {
  id: string;
  customerId: string;
  status: string;
  priceIds: string[];
  /** Set on the subscription by a checkout flow; a fallback source of company and owner. */
  metadata: Record<string, string>;
};

// Stripe sends related objects as an id, or expanded into the object itself.
const idOrObject = z.union([z.string(), z.object({ id: z.string() })]).transform((v) => (typeof v === 'string' ? v : v.id));

const StripeSubscription = z.object({
  object: z.literal('subscription'),
  id: z.string().regex(/^sub_[A-Za-z0-9_]+$/),
  customer: idOrObject,
  status: z.string().min(1),
  items: z.object({ data: z.array(z.object({ price: z.object({ id: z.string() }).nullish() })) }),
  metadata: z.record(z.string(), z.string()).nullish(),
});

/**
 * Reads a subscription from untrusted JSON (an event payload, or what the API or a mock returned).
 * Unknown fields are ignored: Stripe adds fields in every API version.
 */
export function snapshotOf(value: unknown): SubscriptionSnapshot | undefined {
  const parsed = StripeSubscription.safeParse(value);
  if (!parsed.success) return undefined;
  const { id, customer, status, items, metadata } = parsed.data;
  return {
    id,
    customerId: customer,
    status,
    priceIds: items.data.flatMap((item) => (item.price ? [item.price.id] : [])),
    metadata: metadata ?? {},
  };
}

/** Stripe never moves a subscription out of these: once seen, the subscription is over for good. */
const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);

export const isTerminal = (status: string): boolean => TERMINAL_STATUSES.has(status);
