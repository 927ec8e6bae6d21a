import { describe, expect, it } from 'vitest';
import {
  fullIndexLabels,
  INDEXED_LABEL,
  indexedUnder,
  indexedValuesOf,
  indexLabels,
  indexSelector,
  indexValue,
  TENANT_INDEX_LABELS,
} from '../../../src/kubernetes/tenant-index.ts';

const tenant = (over: { customDomain?: string | null; desiredDomain?: string | null; customer?: string | null; subscription?: string | null } = {}) => ({
  customDomain: over.customDomain ?? null,
  stripeCustomerId: over.customer ?? null,
  stripeSubscriptionId: over.subscription ?? null,
  desired: { customDomain: over.desiredDomain === undefined ? (over.customDomain ?? null) : over.desiredDomain },
});

describe('tenant lookup index labels', () => {
  it('are valid label values whatever the indexed value holds', () => {
    for (const value of ['cus_ABC123', 'shop.example.com', 'x'.repeat(300), 'ünïcode/with spaces=and,commas']) {
      const label = indexValue('stripeCustomerId', value);
      expect(label).toMatch(/^[a-f0-9]{40}$/);
    }
  });

  it('treat a host in any case as one host, and Stripe ids as case-sensitive', () => {
    expect(indexValue('customDomain', 'Shop.Example.COM')).toBe(indexValue('customDomain', 'shop.example.com'));
    expect(indexValue('stripeCustomerId', 'cus_A')).not.toBe(indexValue('stripeCustomerId', 'cus_a'));
    // One value under two indexes is two different labels, so a selector never crosses indexes.
    expect(indexSelector('stripeCustomerId', 'x')).not.toBe(indexSelector('stripeSubscriptionId', 'x'));
  });

  it('remove a label whose value was cleared and leave alone the indexes a change does not name', () => {
    expect(indexLabels({ customDomain: null })).toEqual({ [TENANT_INDEX_LABELS.customDomain]: null });
    expect(indexLabels({ stripeCustomerId: 'cus_1', stripeSubscriptionId: '' })).toEqual({
      [TENANT_INDEX_LABELS.stripeCustomerId]: indexValue('stripeCustomerId', 'cus_1'),
      [TENANT_INDEX_LABELS.stripeSubscriptionId]: null,
    });
  });

  it('write every index label and the mark when a namespace is created or backfilled', () => {
    expect(fullIndexLabels({ stripeCustomerId: 'cus_1' })).toEqual({
      [TENANT_INDEX_LABELS.stripeCustomerId]: indexValue('stripeCustomerId', 'cus_1'),
      [TENANT_INDEX_LABELS.stripeSubscriptionId]: null,
      [TENANT_INDEX_LABELS.customDomain]: null,
      [INDEXED_LABEL]: 'v1',
    });
  });

  it('index the custom domain a tenant asks for, which is the one it is found by', () => {
    const moving = tenant({ customDomain: 'old.example.com', desiredDomain: 'new.example.com' });
    expect(indexedValuesOf(moving).customDomain).toBe('new.example.com');
    expect(indexedUnder(moving, 'customDomain', 'NEW.example.com')).toBe(true);
    expect(indexedUnder(moving, 'customDomain', 'old.example.com')).toBe(false);
    expect(indexedUnder(tenant({ subscription: 'sub_1' }), 'stripeSubscriptionId', 'sub_1')).toBe(true);
    expect(indexedUnder(tenant(), 'stripeCustomerId', 'cus_1')).toBe(false);
  });
});
