import { describe, expect, it } from 'vitest';
import { provisionInputFrom } from '../../../src/billing/customer-profile.ts';
import { customerJson } from './support/fixtures.ts';

const step = { tier: 'professional' as const, customerId: 'cus_unit1', subscriptionId: 'sub_unit1' };

describe('provisionInputFrom', () => {
  it("takes the company from metadata and the owner from the customer's name and email", () => {
    expect(provisionInputFrom(customerJson(), {}, step)).toEqual({
      input: {
        companyName: 'Acme Auto Repair',
        ownerEmail: 'ada@acme.test',
        ownerFirstName: 'Ada',
        ownerLastName: 'Lovelace',
        subscriptionTier: 'professional',
        stripeCustomerId: 'cus_unit1',
        stripeSubscriptionId: 'sub_unit1',
      },
    });
  });

  it("lets customer metadata win over the customer's own fields, and passes a chosen tenant id", () => {
    const customer = customerJson({
      name: 'Billing Dept',
      email: 'billing@acme.test',
      metadata: { company_name: 'Acme', owner_email: 'ada@acme.test', owner_first_name: 'Ada', owner_last_name: 'King Lovelace', tenant_id: 'acme-shop' },
    });
    expect(provisionInputFrom(customer, {}, step)).toMatchObject({
      input: { companyName: 'Acme', ownerEmail: 'ada@acme.test', ownerFirstName: 'Ada', ownerLastName: 'King Lovelace', tenantId: 'acme-shop' },
    });
  });

  it("falls back to the subscription's metadata (a checkout flow may set it there), customer metadata first", () => {
    const customer = customerJson({ name: null, email: null, metadata: { owner_email: 'owner@shop.test' } });
    const subscriptionMeta = { company_name: 'Shop', owner_email: 'ignored@shop.test', owner_first_name: 'Grace', owner_last_name: 'Hopper' };
    expect(provisionInputFrom(customer, subscriptionMeta, step)).toMatchObject({
      input: { companyName: 'Shop', ownerEmail: 'owner@shop.test', ownerFirstName: 'Grace', ownerLastName: 'Hopper' },
    });
  });

  it('builds from the subscription metadata alone when there is no API key to read the customer', () => {
    const meta = { company_name: 'Shop', owner_email: 'o@shop.test', owner_first_name: 'Grace', owner_last_name: 'Hopper' };
    expect(provisionInputFrom(undefined, meta, step)).toMatchObject({ input: { companyName: 'Shop', stripeCustomerId: 'cus_unit1' } });
  });

  it('uses the customer name as company when nothing else names it', () => {
    const customer = customerJson({ name: 'Ada Lovelace', metadata: {} });
    expect(provisionInputFrom(customer, {}, step)).toMatchObject({ input: { companyName: 'Ada Lovelace', ownerFirstName: 'Ada' } });
  });

  it('names every missing field instead of inventing an owner', () => {
    const result = provisionInputFrom(customerJson({ name: 'Cher', email: null, metadata: {} }), {}, step);
    expect('errors' in result && result.errors.map((e) => e.path).sort()).toEqual(['ownerEmail', 'ownerLastName']);
  });

  it('refuses a deleted customer and something that is not a customer', () => {
    expect(provisionInputFrom({ object: 'customer', id: 'cus_1', deleted: true }, {}, step)).toEqual({ errors: [{ path: 'customer', message: 'is deleted' }] });
    expect(provisionInputFrom({ object: 'invoice' }, {}, step)).toMatchObject({ errors: [{ path: 'customer' }] });
  });

  it('validates like the provision API: a bad email or an option-like name is refused', () => {
    const result = provisionInputFrom(customerJson({ email: 'not-an-email', metadata: { company_name: '--set=evil' } }), {}, step);
    expect('errors' in result && result.errors.map((e) => e.path).sort()).toEqual(['companyName', 'ownerEmail']);
  });
});
