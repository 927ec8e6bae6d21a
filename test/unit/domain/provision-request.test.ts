import { describe, expect, it } from 'vitest';
import { checkCustomDomain, CustomDomain, customDomainRule } from '../../../src/domain/custom-domain.ts';
import { fieldErrorsFrom } from '../../../src/domain/field-error.ts';
import { ProvisionRequest, UpdateRequest } from '../../../src/domain/provision-request.ts';

const minimal = {
  companyName: 'Acme Auto',
  ownerEmail: 'owner@acme.test',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'professional',
};

function errorsOf(input: unknown, schema: typeof ProvisionRequest | typeof UpdateRequest = ProvisionRequest) {
  const result = schema.safeParse(input);
  return result.success ? [] : fieldErrorsFrom(result.error);
}

describe('ProvisionRequest', () => {
  it('accepts a minimal and a full request', () => {
    expect(errorsOf(minimal)).toEqual([]);
    const full = {
      ...minimal,
      tenantId: 'acme-auto',
      customDomain: 'shop.acmeauto.com',
      stripeCustomerId: 'cus_NffrFeUfNV2Hib',
      stripeSubscriptionId: 'sub_1MowQVLkdIwHu7ixeRlqHVzs',
      resourceOverrides: { postgresInstances: 3, postgresStorageSize: '20Gi', apiReplicas: 1, webReplicas: 20, mechanicLimit: null, storageClass: 'fast-ssd' },
    };
    expect(errorsOf(full)).toEqual([]);
  });

  it('trims names and bounds them', () => {
    expect(ProvisionRequest.parse({ ...minimal, companyName: '  Acme  ' }).companyName).toBe('Acme');
    expect(errorsOf({ ...minimal, companyName: '   ' })).toEqual([{ path: 'companyName', message: 'must not be empty' }]);
    expect(errorsOf({ ...minimal, companyName: 'x'.repeat(101) })).toEqual([{ path: 'companyName', message: 'must be at most 100 characters' }]);
    expect(errorsOf({ ...minimal, ownerLastName: 'Love\nlace' })).toEqual([{ path: 'ownerLastName', message: 'must not contain control characters' }]);
  });

  it('rejects unknown keys, bad emails and unknown tiers, naming each field', () => {
    const errors = errorsOf({ ...minimal, ownerEmail: 'nope', subscriptionTier: 'gold', isAdmin: true, resourceOverrides: { cpu: 2 } });
    expect(errors.map((e) => e.path).sort()).toEqual(['isAdmin', 'ownerEmail', 'resourceOverrides.cpu', 'subscriptionTier']);
  });

  it('checks Stripe ids and override bounds', () => {
    const errors = errorsOf({
      ...minimal,
      stripeCustomerId: 'sub_123',
      stripeSubscriptionId: 'cus_123',
      resourceOverrides: { postgresInstances: 10, apiReplicas: -1, webReplicas: 21, mechanicLimit: 0, postgresStorageSize: '250m' },
    });
    expect(errors.map((e) => e.path).sort()).toEqual([
      'resourceOverrides.apiReplicas',
      'resourceOverrides.mechanicLimit',
      'resourceOverrides.postgresInstances',
      'resourceOverrides.postgresStorageSize',
      'resourceOverrides.webReplicas',
      'stripeCustomerId',
      'stripeSubscriptionId',
    ]);
  });

  it.each([
    ['tenantId', { tenantId: '--kubeconfig=x' }],
    ['customDomain', { customDomain: '--kubeconfig=x' }],
    ['companyName', { companyName: '--kubeconfig=x' }],
    ['ownerFirstName', { ownerFirstName: '-n' }],
    ['stripeCustomerId', { stripeCustomerId: '--kubeconfig=x' }],
    ['resourceOverrides.storageClass', { resourceOverrides: { storageClass: '--kubeconfig=x' } }],
    ['resourceOverrides.postgresStorageSize', { resourceOverrides: { postgresStorageSize: '--set=x' } }],
  ])('rejects an option-like %s', (path, patch) => {
    expect([...new Set(errorsOf({ ...minimal, ...patch }).map((e) => e.path))]).toEqual([path]);
  });
});

describe('CustomDomain', () => {
  it.each(['shop.acmeauto.com', 'acmeauto.co.uk', 'xn--bcher-kva.example', 'a-b.c-d.example', '3m.com'])('accepts %s', (domain) => {
    expect(CustomDomain.safeParse(domain).success).toBe(true);
  });

  it.each([
    ['raw unicode', 'bücher.example', /punycode/],
    ['wildcard', '*.acmeauto.com', /wildcard/],
    ['IPv4', '192.168.1.10', /IP addresses/],
    ['IPv6', '[::1]', /bare hostname/],
    ['port', 'shop.acmeauto.com:8443', /no scheme, port/],
    ['path', 'shop.acmeauto.com/admin', /no scheme, port, path/],
    ['scheme', 'https://shop.acmeauto.com', /no scheme/],
    ['uppercase', 'Shop.AcmeAuto.com', /lowercase/],
    ['single label', 'localhost', /two labels/],
    ['trailing dot', 'shop.acmeauto.com.', /end with a dot/],
    ['empty label', 'shop..com', /label ""/],
    ['leading dash label', '-shop.acmeauto.com', /label "-shop"/],
    ['invalid punycode', 'xn--zz.example', /punycode/],
    ['reserved --', 'ab--cd.example', /punycode/],
    ['numeric TLD', 'shop.123', /top-level/],
    ['too long', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`, /253/],
    ['empty', '', /empty/],
    ['option-like', '--kubeconfig=x', /label/],
  ])('rejects %s', (_why, domain, message) => {
    const result = CustomDomain.safeParse(domain);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(message);
  });
});

describe('checkCustomDomain', () => {
  it('keeps the platform base domain and its subdomains for the platform', () => {
    expect(checkCustomDomain('mechanicbuddy.app', 'mechanicbuddy.app')).toMatch(/belong to the platform/);
    expect(checkCustomDomain('evil.mechanicbuddy.app', 'mechanicbuddy.app')).toMatch(/subdomain/);
    expect(checkCustomDomain('a.b.mechanicbuddy.app', 'MechanicBuddy.app')).toBeDefined();
    expect(checkCustomDomain('notmechanicbuddy.app', 'mechanicbuddy.app')).toBeUndefined();
    expect(checkCustomDomain('mechanicbuddy.app.evil.com', 'mechanicbuddy.app')).toBeUndefined();
  });

  it('works as a refinement on requests', () => {
    const schema = ProvisionRequest.superRefine(customDomainRule('mechanicbuddy.app'));
    const result = schema.safeParse({ ...minimal, customDomain: 'acme.mechanicbuddy.app' });
    expect(result.success).toBe(false);
    expect(fieldErrorsFrom(result.error!)).toEqual([{ path: 'customDomain', message: expect.stringMatching(/belong to the platform/) }]);
    expect(schema.safeParse({ ...minimal, customDomain: 'shop.acmeauto.com' }).success).toBe(true);
    expect(UpdateRequest.superRefine(customDomainRule('mechanicbuddy.app')).safeParse({ customDomain: null }).success).toBe(true);
  });
});

describe('UpdateRequest', () => {
  it('accepts a tier change, a domain removal and overrides', () => {
    expect(errorsOf({ subscriptionTier: 'enterprise' }, UpdateRequest)).toEqual([]);
    expect(UpdateRequest.parse({ customDomain: null })).toEqual({ customDomain: null });
    expect(errorsOf({ resourceOverrides: { apiReplicas: 3 } }, UpdateRequest)).toEqual([]);
  });

  it('rejects an empty update and unknown keys', () => {
    expect(errorsOf({}, UpdateRequest)).toEqual([{ path: '', message: expect.stringMatching(/at least one/) }]);
    expect(errorsOf({ companyName: 'x' }, UpdateRequest).map((e) => e.path)).toContain('companyName');
    expect(errorsOf({ customDomain: 'acme.example', tier: 'demo' }, UpdateRequest).map((e) => e.path)).toEqual(['tier']);
  });

  it('refuses an owner email whose local part is longer than 64 characters (RFC 5321), and takes one of 64', () => {
    const local = (n: number) => 'a'.repeat(n);
    expect(errorsOf({ ...minimal, ownerEmail: `${local(65)}@acme.test` }).map((e) => e.path)).toEqual(['ownerEmail']);
    expect(errorsOf({ ...minimal, ownerEmail: `${local(64)}@acme.test` })).toEqual([]);
  });
});
