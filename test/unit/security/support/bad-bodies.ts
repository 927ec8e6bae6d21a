import fc from 'fast-check';
import {
  badDomain,
  badEmail,
  badPersonText,
  badResourceOverrides,
  badStripeId,
  badTenantId,
  badTier,
  notString,
  pollution,
  prototypeKey,
  RawJson,
  rawObject,
  toJson,
  type JsonEntries,
} from './bad-values.ts';

const GOOD_PROVISION: JsonEntries = [
  ['companyName', 'Acme Auto Repair'],
  ['ownerEmail', 'owner@acme.test'],
  ['ownerFirstName', 'Ada'],
  ['ownerLastName', 'Lovelace'],
  ['subscriptionTier', 'professional'],
];
const GOOD_OPTIONAL: JsonEntries = [
  ['tenantId', 'acme-fuzz-1'],
  ['customDomain', 'shop.acme-auto.com'],
  ['stripeCustomerId', 'cus_Fuzz1'],
  ['stripeSubscriptionId', 'sub_Fuzz1'],
  ['resourceOverrides', { apiReplicas: 2, postgresStorageSize: '20Gi' }],
];
const PROVISION_KEYS = [...GOOD_PROVISION, ...GOOD_OPTIONAL].map(([key]) => key);

/** Garbage that is no request object at all: other JSON types, broken JSON, deep nesting, raw huge numbers. */
export const notAnObject = fc.oneof(
  fc
    .jsonValue({ maxDepth: 3 })
    .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '',
    ' ',
    '{',
    '{"companyName":',
    '{"a":1,}',
    "{'a':1}",
    'undefined',
    'NaN',
    '1e400',
    '-1e400',
    '[]',
    '{}[]',
    '\uFEFF{"x":1}',
    '{"a":"\\ud800"}',
    'nul',
    '\u0000',
  ),
  fc.integer({ min: 1_000, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1_000, max: 5_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.string({ unit: 'binary', maxLength: 64 }),
);

const extraKey = fc.tuple(
  fc.oneof(
    prototypeKey,
    fc.string({ maxLength: 10 }).filter((k) => !PROVISION_KEYS.includes(k)),
  ),
  fc.oneof(pollution, notString, fc.string({ maxLength: 10 })),
);

/** Entries with later keys replacing earlier ones, as JSON.parse resolves duplicates. */
function merge(base: JsonEntries, changes: JsonEntries, drop: readonly string[]): Array<readonly [string, unknown]> {
  const map = new Map<string, unknown>(base);
  for (const [key, value] of changes) map.set(key, value);
  for (const key of drop) map.delete(key);
  return [...map.entries()];
}

/**
 * A provision request that is wrong in at least one way: a hostile value in some field, a required
 * field missing, or a key the contract does not have (`__proto__` and friends included). A
 * duplicate key whose last value is the bad one is sent now and then, since JSON.parse keeps the last.
 */
export function badProvisionBody(baseDomain: string): fc.Arbitrary<string> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    companyName: badPersonText,
    ownerEmail: badEmail,
    ownerFirstName: badPersonText,
    ownerLastName: badPersonText,
    subscriptionTier: badTier,
    tenantId: fc.oneof(badTenantId, notString),
    customDomain: badDomain(baseDomain),
    stripeCustomerId: badStripeId('cus'),
    stripeSubscriptionId: badStripeId('sub'),
    resourceOverrides: badResourceOverrides,
  };
  const badField = fc.constantFrom(...Object.keys(fields)).chain((key) => fields[key]!.map((value) => [key, value] as const));
  const shaped = fc
    .record({
      optional: fc.subarray([...GOOD_OPTIONAL]),
      bad: fc.array(badField, { maxLength: 3 }),
      missing: fc.subarray(GOOD_PROVISION.map(([key]) => key)),
      extra: fc.array(extraKey, { maxLength: 2 }),
      duplicate: fc.boolean(),
    })
    .filter((r) => r.bad.length + r.missing.length + r.extra.length > 0)
    .map((r) => {
      const entries = merge([...GOOD_PROVISION, ...r.optional], r.bad, r.missing);
      // A good value first, the bad one last: the parser must see the bad one.
      const first = r.bad[0]?.[0];
      const duplicated = r.duplicate && entries.some(([key]) => key === first) ? [[first!, 'Acme'] as const, ...entries] : entries;
      return rawObject([...duplicated, ...r.extra]).text;
    });
  return fc.oneof({ weight: 8, arbitrary: shaped }, { weight: 1, arbitrary: notAnObject });
}

/** An update that is wrong in at least one way (an empty update is wrong too: it changes nothing). */
export function badUpdateBody(baseDomain: string): fc.Arbitrary<string> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    subscriptionTier: badTier,
    customDomain: badDomain(baseDomain).filter((v) => v !== null),
    resourceOverrides: badResourceOverrides,
  };
  const badField = fc.constantFrom(...Object.keys(fields)).chain((key) => fields[key]!.map((value) => [key, value] as const));
  const good = fc.subarray<readonly [string, unknown]>([
    ['subscriptionTier', 'enterprise'],
    ['customDomain', null],
    ['resourceOverrides', { webReplicas: 3 }],
  ]);
  const extra = fc.tuple(
    fc.oneof(
      prototypeKey,
      fc.string({ maxLength: 10 }).filter((k) => !Object.keys(fields).includes(k)),
    ),
    fc.oneof(pollution, notString),
  );
  const shaped = fc
    .record({ good, bad: fc.array(badField, { maxLength: 2 }), extra: fc.array(extra, { maxLength: 2 }) })
    .filter((r) => r.bad.length + r.extra.length > 0 || r.good.length === 0)
    .map((r) => rawObject([...merge(r.good, r.bad, []), ...r.extra]).text);
  // Only a prototype key: a naive merge would read the tier off the prototype.
  const smuggled = pollution.map((p) => rawObject([['__proto__', p]]).text);
  return fc.oneof({ weight: 8, arbitrary: shaped }, { weight: 1, arbitrary: smuggled }, { weight: 1, arbitrary: notAnObject });
}

/** Content types a client might send with a JSON-ish body, well-formed or not. */
export const contentType = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/xml',
  '',
);

/** Idempotency keys, good and bad (a bad body must write none of them). */
export const idempotencyKey = fc.oneof(
  fc.uuid(),
  fc.constantFrom('', ' ', 'a b', '--kubeconfig=x', 'k'.repeat(256), '\u00e9t\u00e9', '__proto__'),
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 40,
  }),
);

export { RawJson, toJson };
