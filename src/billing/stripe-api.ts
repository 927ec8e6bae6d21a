import type Stripe from 'stripe';

/** The two reads billing makes from Stripe; they return Stripe's JSON, parsed by the caller. */
export interface StripeApi {
  retrieveSubscription(subscriptionId: string): Promise<unknown>;
  retrieveCustomer(customerId: string): Promise<unknown>;
}

export type StripeApiOptions = {
  apiKey: string;
  /** e.g. a stripe-mock at http://127.0.0.1:12111; api.stripe.com when null. */
  apiBase: string | null;
  /** Per request; the webhook answers within Stripe's own delivery timeout only if this is short. */
  timeoutMs?: number;
};

/** The official SDK, pointed at Stripe or at a stripe-mock. */
export function createStripeApi(options: StripeApiOptions): StripeApi {
  const base = options.apiBase === null ? undefined : new URL(options.apiBase);
  const protocol = base?.protocol === 'http:' ? 'http' : 'https';
  // The SDK (≈ 37 MB resident) is loaded on the first call, not when a process merely could call.
  let client: Promise<Stripe> | undefined;
  const stripe = () =>
    (client ??= import('stripe').then(
      ({ default: StripeSdk }) =>
        new StripeSdk(options.apiKey, {
          // One retry on network errors and 5xx: the SDK sends an idempotency key, and a slower answer
          // only delays Stripe's own redelivery.
          maxNetworkRetries: 1,
          timeout: options.timeoutMs ?? 8_000,
          telemetry: false,
          ...(base ? { host: base.hostname, port: base.port || (protocol === 'http' ? 80 : 443), protocol } : {}),
        }),
    ));
  return {
    retrieveSubscription: async (id) => (await stripe()).subscriptions.retrieve(id),
    retrieveCustomer: async (id) => (await stripe()).customers.retrieve(id),
  };
}
