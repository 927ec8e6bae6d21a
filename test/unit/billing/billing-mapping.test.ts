import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { billingMapping, classifyStatus, tierForPrices } from '../../../src/billing/billing-mapping.ts';
import { snapshotOf } from '../../../src/billing/subscription-snapshot.ts';
import { ConfigError } from '../../../src/config/config-error.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { testConfig } from '../api/support/config.ts';
import { subscriptionJson } from './support/fixtures.ts';

const config = testConfig((c) => {
  c.billing.priceTiers = { price_pro: 'professional', price_ent: 'enterprise', price_free: 'free' };
});
const mapping = billingMapping(config.billing, config.tiers);

describe('billing mapping', () => {
  it('classifies the shipped default statuses', () => {
    expect(['active', 'trialing'].map((s) => classifyStatus(s, mapping))).toEqual(['active', 'active']);
    expect(['past_due', 'unpaid', 'paused'].map((s) => classifyStatus(s, mapping))).toEqual(['pastDue', 'pastDue', 'pastDue']);
    expect(['canceled', 'incomplete_expired'].map((s) => classifyStatus(s, mapping))).toEqual(['cancelled', 'cancelled']);
    expect(['incomplete', 'anything'].map((s) => classifyStatus(s, mapping))).toEqual(['other', 'other']);
  });

  it('maps prices to the highest tier among them, ignoring unmapped ones', () => {
    expect(tierForPrices(['price_free', 'price_ent', 'price_pro'], mapping)).toBe('enterprise');
    expect(tierForPrices(['price_addon', 'price_pro'], mapping)).toBe('professional');
    expect(tierForPrices(['price_addon'], mapping)).toBeUndefined();
    expect(tierForPrices([], mapping)).toBeUndefined();
  });

  it('does not read inherited keys as prices', () => {
    expect(tierForPrices(['constructor', 'toString', '__proto__'], mapping)).toBeUndefined();
  });

  it('knows which tiers expire (from the tiers table, not a second list)', () => {
    expect([...mapping.expiringTiers]).toEqual(['demo']);
  });

  it('converts hours and days to milliseconds', () => {
    expect(mapping.pastDueGraceMs).toBe(config.billing.pastDueGraceHours * 3_600_000);
    expect(mapping.cancelledRetentionMs).toBe(config.billing.cancelledRetentionDays * 86_400_000);
  });
});

describe('subscription snapshots', () => {
  it('reads ids from plain strings and from expanded objects', () => {
    const expanded = { ...subscriptionJson(), customer: { id: 'cus_expanded', object: 'customer' } };
    expect(snapshotOf(expanded)).toMatchObject({ id: 'sub_unit1', customerId: 'cus_expanded', priceIds: ['price_professional'] });
  });

  it.each([
    ['not an object', 'sub_1'],
    ['another object', { ...subscriptionJson(), object: 'invoice' }],
    ['a bad id', { ...subscriptionJson(), id: 'sub_../../etc' }],
    ['no items', { ...subscriptionJson(), items: undefined }],
  ])('rejects %s', (_, value) => {
    expect(snapshotOf(value)).toBeUndefined();
  });
});

describe('billing configuration', () => {
  const defaults = readFileSync(new URL('../../../config/default.yaml', import.meta.url), 'utf8');
  const issuesOf = (override: string): string[] => {
    try {
      loadConfig({
        env: { AUTH_JWT_SECRET: 'x'.repeat(32), KUBECONFIG: '/dev/null', CONFIG_FILE: 'override.yaml' },
        files: { 'config/default.yaml': defaults, 'override.yaml': override },
      });
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.map((issue) => issue.path);
      throw error;
    }
    return [];
  };

  it('ships off: no secret, no key, the webhook answers 503', () => {
    expect(testConfig().billing).toMatchObject({ webhookSecret: null, apiKey: null, apiBase: null, signatureToleranceSeconds: 300 });
  });

  it('takes STRIPE_WEBHOOK_SECRET, STRIPE_API_KEY and STRIPE_API_BASE from the environment', () => {
    const c = testConfig(undefined, { STRIPE_WEBHOOK_SECRET: 'whsec_x', STRIPE_API_KEY: 'sk_test_x', STRIPE_API_BASE: 'http://127.0.0.1:12111' });
    expect(c.billing).toMatchObject({ webhookSecret: 'whsec_x', apiKey: 'sk_test_x', apiBase: 'http://127.0.0.1:12111' });
  });

  it('accepts the shipped defaults', () => {
    expect(issuesOf('')).toEqual([]);
  });

  it('refuses a price id that is not one, and a tier that does not exist', () => {
    expect(issuesOf('billing:\n  priceTiers: { prod_x: professional, price_ok: gold }\n')).toEqual(
      expect.arrayContaining(['billing.priceTiers.prod_x', 'billing.priceTiers.price_ok']),
    );
  });

  it('refuses a status in two lists, and a cancelled list without "canceled"', () => {
    const paths = issuesOf('billing:\n  statuses: { active: [active, past_due], pastDue: [past_due], cancelled: [incomplete_expired] }\n');
    expect(paths).toEqual(expect.arrayContaining(['billing.statuses.pastDue', 'billing.statuses.cancelled']));
  });

  it('refuses an unknown status (a typo would silently change nothing)', () => {
    expect(issuesOf('billing:\n  statuses: { active: [actve], pastDue: [], cancelled: [canceled] }\n')).toContain('billing.statuses.active.0');
  });

  it('refuses an API base that is not http(s)', () => {
    expect(() => testConfig(undefined, { STRIPE_API_BASE: 'ftp://stripe' })).toThrow(/billing.apiBase/);
  });

  it('keeps event ids at least the 3 days Stripe retries', () => {
    expect(issuesOf('billing:\n  eventRetentionDays: 2\n')).toContain('billing.eventRetentionDays');
  });
});
