import Stripe from 'stripe';
import type { TenantRecord } from '../../../../src/domain/tenant-record.ts';
import type { TierName } from '../../../../src/domain/tiers.ts';

export const SECRET = 'whsec_unit_test_secret';
export const PRICES = { professional: 'price_professional', enterprise: 'price_enterprise', addon: 'price_addon_sms' } as const;

/** A subscription as Stripe's JSON carries it (only the fields billing reads, plus some it ignores). */
export function subscriptionJson(options: { id?: string; customer?: string; status?: string; prices?: string[]; metadata?: Record<string, string> } = {}) {
  return {
    object: 'subscription',
    id: options.id ?? 'sub_unit1',
    customer: options.customer ?? 'cus_unit1',
    status: options.status ?? 'active',
    items: { object: 'list', data: (options.prices ?? [PRICES.professional]).map((id, i) => ({ id: `si_${i}`, price: { id, object: 'price' } })) },
    metadata: options.metadata ?? {},
    livemode: false,
  };
}

export function customerJson(options: { id?: string; name?: string | null; email?: string | null; metadata?: Record<string, string> } = {}) {
  return {
    object: 'customer',
    id: options.id ?? 'cus_unit1',
    name: options.name === undefined ? 'Ada Lovelace' : options.name,
    email: options.email === undefined ? 'ada@acme.test' : options.email,
    metadata: options.metadata ?? { company_name: 'Acme Auto Repair' },
  };
}

let sequence = 0;

/** A Stripe event body, serialised once: the bytes signed are the bytes sent. */
export function eventBody(type: string, object: unknown, options: { id?: string; created?: number } = {}): string {
  sequence += 1;
  return JSON.stringify({
    id: options.id ?? `evt_unit${sequence}`,
    object: 'event',
    type,
    created: options.created ?? Math.floor(Date.now() / 1000),
    data: { object },
    livemode: false,
    api_version: '2026-09-30.endive',
  });
}

/** The `Stripe-Signature` header the SDK itself computes for a payload. */
export function sign(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
}

export function tenantRecord(overrides: Partial<TenantRecord> & { tier?: TierName; hibernated?: boolean } = {}): TenantRecord {
  const { hibernated = false, tier = 'professional', ...rest } = overrides;
  const tenantId = overrides.tenantId ?? 'acme-auto-a1b2c3';
  return {
    tenantId,
    namespace: `tenant-${tenantId}`,
    tier,
    companyName: 'Acme Auto Repair',
    ownerEmail: 'ada@acme.test',
    ownerName: 'Ada Lovelace',
    customDomain: null,
    stripeCustomerId: 'cus_unit1',
    stripeSubscriptionId: 'sub_unit1',
    expiresAt: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    desired: { tier, customDomain: null, resourceOverrides: {}, hibernated },
    operation: null,
    terminating: false,
    ...rest,
  };
}
