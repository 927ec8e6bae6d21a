import { z } from 'zod';
import { MalformedInputError } from '../domain/errors.ts';

/** A Stripe event whose signature checked out: only what billing reads of it. */
export type VerifiedEvent = { id: string; type: string; created: number; object: unknown };

const StripeEvent = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  created: z.int(),
  data: z.object({ object: z.unknown() }),
});

const refuse = (detail: string, cause?: unknown) => new MalformedInputError(detail, { cause });

/**
 * Verifies `Stripe-Signature` over the exact bytes received, with the official SDK (HMAC-SHA256,
 * constant-time comparison, timestamp within `toleranceSeconds`), then parses the event. Every failure
 * is a MalformedInputError (HTTP 400): a missing header is the caller's fault, never our 500.
 */
export async function verifyStripeEvent(payload: Uint8Array, header: string | undefined, secret: string, toleranceSeconds: number): Promise<VerifiedEvent> {
  if (header === undefined || header.trim() === '') throw refuse('The Stripe-Signature header is missing');
  // Loaded on first use: processes that never verify a webhook (workers) do not pay for the SDK.
  const { default: Stripe } = await import('stripe');
  let event: unknown;
  try {
    event = await Stripe.webhooks.constructEventAsync(payload, header, secret, toleranceSeconds);
  } catch (error) {
    // The SDK's messages say which check failed (no matching signature, timestamp outside tolerance)
    // and contain neither the secret nor the expected signature.
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) throw refuse(error.message);
    throw refuse('The body is not a JSON Stripe event', error);
  }
  const parsed = StripeEvent.safeParse(event);
  if (!parsed.success) throw refuse('The body is not a Stripe event (id, type, created, data.object)');
  return { id: parsed.data.id, type: parsed.data.type, created: parsed.data.created, object: parsed.data.data.object };
}
