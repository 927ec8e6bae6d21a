import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldErrorsFrom } from '../../../src/domain/field-error.ts';
import { ProvisionRequest, UpdateRequest } from '../../../src/domain/provision-request.ts';
import {
  LABEL_FILTER_PATTERN,
  LABEL_KEY_SOURCE,
  labelKeyProblem,
  labelPatch,
  matchesLabels,
  parseLabelFilter,
  storedLabelKey,
  storedLabels,
  TenantLabels,
  tenantLabelKey,
  tenantLabelsOf,
} from '../../../src/domain/tenant-labels.ts';

const minimal = { companyName: 'Acme', ownerEmail: 'owner@acme.test', ownerFirstName: 'Ada', ownerLastName: 'Lovelace', subscriptionTier: 'free' };
const errorsOf = (labels: unknown) => {
  const result = TenantLabels.safeParse(labels);
  return result.success ? [] : fieldErrorsFrom(result.error);
};
const dns = (n: number) => Array.from({ length: Math.ceil(n / 50) }, (_, i) => 'p'.repeat(Math.min(49, n - i * 50))).join('.');
// Kubernetes' own rule for a label key (apimachinery IsQualifiedName), to check that every stored key is one.
const QUALIFIED = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const isQualified = (key: string) => {
  const m = QUALIFIED.exec(key);
  return !!m && (m[1] ?? '').length <= 253 && m[5]!.length <= 63;
};

describe('tenant labels: the schema', () => {
  it('accepts Kubernetes label keys, prefixed or not, and label values, empty included', () => {
    const prefix225 = dns(225);
    expect(prefix225).toHaveLength(225);
    const ok = { team: 'north', a: '', A_b: 'x.y-z_1', 'example.com/team': 'Z', [`${prefix225}/x`]: 'v', ['n'.repeat(63)]: 'v'.repeat(63), constructor: 'c' };
    expect(errorsOf(ok)).toEqual([]);
    // Not a reserved prefix: only the domain itself or a subdomain of it is.
    expect(errorsOf({ 'mykubernetes.io/x': 'a', 'k8s.io.example.com/x': 'b' })).toEqual([]);
  });

  it('refuses malformed keys and values, naming each key', () => {
    const keyMessage = expect.stringMatching(/^key must be a Kubernetes label key/);
    for (const key of ['-a', 'a-', '_a', 'a b', 'n'.repeat(64), 'Example.com/x', 'example.com/', '/x', 'a/b/c', 'ex_ample.com/x', 'é'])
      expect(errorsOf({ [key]: 'v' }), key).toEqual([{ path: key, message: keyMessage }]);
    expect(errorsOf({ '': 'v' })).toEqual([{ path: '', message: keyMessage }]);
    expect(errorsOf({ [`${dns(226)}/x`]: 'v' })).toEqual([{ path: `${dns(226)}/x`, message: 'key has a prefix longer than 225 characters' }]);
    for (const value of ['-x', 'x-', 'a b', 'v'.repeat(64), 'a/b', 'é'])
      expect(errorsOf({ team: value }), value).toEqual([{ path: 'team', message: expect.stringMatching(/^must be a Kubernetes label value/) }]);
    expect(errorsOf({ team: 3 })).toHaveLength(1);
  });

  it('refuses keys under the reserved prefixes and their subdomains', () => {
    const cases: Array<[string, string]> = [
      ['tenant-provisioner.io/tier', 'tenant-provisioner.io'],
      ['label.tenant-provisioner.io/team', 'tenant-provisioner.io'],
      ['kubernetes.io/metadata.name', 'kubernetes.io'],
      ['app.kubernetes.io/managed-by', 'kubernetes.io'],
      ['pod-security.kubernetes.io/enforce', 'kubernetes.io'],
      ['k8s.io/x', 'k8s.io'],
      ['node.k8s.io/x', 'k8s.io'],
    ];
    for (const [key, prefix] of cases) expect(errorsOf({ [key]: 'v' }), key).toEqual([{ path: key, message: `key uses the reserved prefix ${prefix}` }]);
  });

  it('caps a set at 32 labels', () => {
    const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(errorsOf(labels(32))).toEqual([]);
    expect(errorsOf(labels(33))).toEqual([{ path: '', message: 'must have at most 32 labels' }]);
  });

  it('reaches the requests: a provision may carry labels, an update may carry labels alone (and {} to clear them), both report the key at fault', () => {
    expect(ProvisionRequest.parse({ ...minimal, labels: { team: 'north' } }).labels).toEqual({ team: 'north' });
    expect(ProvisionRequest.parse(minimal).labels).toBeUndefined();
    expect(UpdateRequest.parse({ labels: {} })).toEqual({ labels: {} });
    const refused = ProvisionRequest.safeParse({ ...minimal, labels: { 'kubernetes.io/os': 'linux', ok: 'x y' } });
    expect(refused.success ? [] : fieldErrorsFrom(refused.error)).toEqual([
      { path: 'labels.ok', message: expect.stringMatching(/label value/) },
      { path: 'labels.kubernetes.io/os', message: 'key uses the reserved prefix kubernetes.io' },
    ]);
  });

  it('documents exactly the keys the server accepts (the document’s propertyNames pattern)', () => {
    const documented = new RegExp(`^${LABEL_KEY_SOURCE}$`);
    const pieces = ['a', 'Z', '0', '-', '_', '.', '/', 'kubernetes.io', 'k8s.io', 'tenant-provisioner.io', 'example', 'label', 'x'.repeat(60), dns(120)];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 6 }), (parts) => {
        const key = parts.join('');
        expect(documented.test(key), key).toBe(labelKeyProblem(key) === undefined);
      }),
      { numRuns: 3000 },
    );
  });
});

const keyArb = fc
  .tuple(
    fc.option(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?(\.[a-z0-9]{1,5}){0,3}$/)),
    fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?$/),
  )
  .map(([prefix, name]) => (prefix ? `${prefix}/${name}` : name))
  .filter((key) => labelKeyProblem(key) === undefined);
const labelsArb = fc.dictionary(keyArb, fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?)?$/), { maxKeys: 8 });

describe('tenant labels: the namespace mapping', () => {
  it('stores a key under our label domain and reads it back', () => {
    expect(storedLabelKey('team')).toBe('label.tenant-provisioner.io/team');
    expect(storedLabelKey('example.com/team')).toBe('example.com.label.tenant-provisioner.io/team');
    expect(tenantLabelKey('label.tenant-provisioner.io/team')).toBe('team');
    expect(tenantLabelKey('example.com.label.tenant-provisioner.io/team')).toBe('example.com/team');
    // The service's own labels and anyone else's are not tenant labels.
    for (const other of [
      'tenant-provisioner.io/tier',
      'app.kubernetes.io/managed-by',
      'kubernetes.io/metadata.name',
      'xlabel.tenant-provisioner.io/a',
      'plain',
    ])
      expect(tenantLabelKey(other), other).toBeUndefined();
    expect(isQualified(storedLabelKey(`${dns(225)}/${'n'.repeat(63)}`))).toBe(true);
  });

  it('round-trips any valid set beside the service’s own labels; every stored key is a Kubernetes label key', () => {
    const ours = { 'app.kubernetes.io/managed-by': 'tenant-provisioner', 'tenant-provisioner.io/tier': 'free', 'kubernetes.io/metadata.name': 'tenant-x' };
    fc.assert(
      fc.property(labelsArb, (labels) => {
        expect(TenantLabels.safeParse(labels).success).toBe(true);
        const stored = storedLabels(labels);
        for (const key of Object.keys(stored)) expect(isQualified(key), key).toBe(true);
        expect(tenantLabelsOf({ ...ours, ...stored })).toEqual(labels);
      }),
      { numRuns: 500 },
    );
  });

  it('patches from one set to another: adds, changes, removes (null) and leaves equal labels out', () => {
    expect(labelPatch({ team: 'north', old: 'x', same: 'y' }, { team: 'south', same: 'y', added: '' })).toEqual({
      'label.tenant-provisioner.io/old': null,
      'label.tenant-provisioner.io/team': 'south',
      'label.tenant-provisioner.io/added': '',
    });
    fc.assert(
      fc.property(labelsArb, labelsArb, (from, to) => {
        const applied: Record<string, string> = { ...storedLabels(from) };
        for (const [key, value] of Object.entries(labelPatch(from, to))) {
          if (value === null) delete applied[key];
          else applied[key] = value;
        }
        expect(tenantLabelsOf(applied)).toEqual(to);
      }),
      { numRuns: 300 },
    );
  });
});

describe('tenant labels: matching and the list filter', () => {
  it('matches like matchLabels: every label, by value, an empty value only when set', () => {
    expect(matchesLabels({ team: 'north', env: 'prod' }, { team: 'north' })).toBe(true);
    expect(matchesLabels({ team: 'north' }, { team: 'north', env: 'prod' })).toBe(false);
    expect(matchesLabels({ team: '' }, { team: '' })).toBe(true);
    expect(matchesLabels({}, { team: '' })).toBe(false);
    expect(matchesLabels(undefined, {})).toBe(true);
    expect(matchesLabels({}, { constructor: '' })).toBe(false);
  });

  it('parses key=value,key=value and refuses what is not one, as the documented pattern does', () => {
    expect(parseLabelFilter('team=north,example.com/cohort=,env=prod')).toEqual({
      labels: { team: 'north', 'example.com/cohort': '', env: 'prod' },
      contradictory: false,
    });
    const pattern = new RegExp(LABEL_FILTER_PATTERN);
    for (const text of ['team=north', 'a=', 'example.com/x=1,b=2']) expect(pattern.test(text), text).toBe(true);
    for (const text of ['team', 'team=a b', 'kubernetes.io/x=1', 'a=1,', '=1', 'a=1,kubernetes.io/x=2', 'a==1']) {
      expect('problem' in parseLabelFilter(text), text).toBe(true);
      expect(pattern.test(text), text).toBe(false);
    }
    // A key twice: the same value is one requirement, two values a filter nothing matches (as in a selector).
    expect(parseLabelFilter('a=1,a=1')).toEqual({ labels: { a: '1' }, contradictory: false });
    expect(parseLabelFilter('a=1,a=2')).toMatchObject({ contradictory: true });
  });
});
