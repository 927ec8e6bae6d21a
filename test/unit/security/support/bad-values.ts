import fc from 'fast-check';

/**
 * Families of hostile or malformed values for the request fuzzers. Each family is invalid by the
 * contract (the OpenAPI document and DESIGN.md), not by the implementation's own validators, so a
 * value the service accepts is a finding, not a test artefact.
 */

/** A JSON fragment written as is (so bodies can carry `__proto__` keys, duplicate keys or 1e400). */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export type JsonEntries = ReadonlyArray<readonly [string, unknown]>;

/** Serialises entries in order, keeping `__proto__` as an own key, as a client on the wire can. */
export function rawObject(entries: JsonEntries): RawJson {
  return new RawJson(`{${entries.map(([key, value]) => `${JSON.stringify(key)}:${toJson(value)}`).join(',')}}`);
}

export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') return rawObject(Object.entries(value)).text;
  return JSON.stringify(value) ?? 'null';
}

/** Percent-encodes for a URL, lone surrogates included (as U+FFFD, which is what a client could send). */
export const encode = (s: string) => encodeURIComponent(s.toWellFormed());

const lower = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
const label = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/).filter((l) => !l.includes('--'));
const nonAscii = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => /[^\x00-\x7f]/.test(s));

/** Anything that is not a string: for fields that must be one. */
export const notString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

/** Keys that pollute prototypes when an object is built naively from untrusted input. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
export const prototypeKey = fc.constantFrom(...PROTOTYPE_KEYS);
/** A value to smuggle under a prototype key: something a later check might read off any object. */
export const pollution = fc.constantFrom(
  rawObject([
    ['polluted', true],
    ['subscriptionTier', 'enterprise'],
    ['isAdmin', true],
  ]),
  rawObject([['prototype', rawObject([['polluted', true]])]]),
  new RawJson('"polluted"'),
);

/** What a command line would read as a flag if the value ever reached argv. */
export const optionLike = fc.oneof(
  fc.constantFrom(
    '--kubeconfig=x',
    '--kubeconfig=/etc/kubernetes/admin.conf',
    '--namespace=kube-system',
    '-n',
    '--set',
    '--set=image.repository=evil',
    '--post-renderer=/bin/sh',
    '--',
    '-',
    '--help',
    '--values=/etc/shadow',
    '--dry-run=server',
    '--insecure-skip-tls-verify',
    '-f',
  ),
  fc
    .tuple(fc.constantFrom('-', '--'), fc.stringMatching(/^[a-z][a-z-]{0,16}$/), fc.option(fc.string({ maxLength: 12 }), { nil: undefined }))
    .map(([dash, name, value]) => (value === undefined ? `${dash}${name}` : `${dash}${name}=${value}`)),
);

const CONTROL = fc.constantFrom('\u0000', '\u0001', '\b', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009b');
/** `inner` somewhere inside printable text (not at the ends, which a trim may legitimately remove). */
const withInserted = (inner: fc.Arbitrary<string>) =>
  fc.tuple(fc.string({ maxLength: 10 }), inner, fc.string({ maxLength: 10 })).map(([a, b, c]) => `x${a}${b}${c}x`);

/** Company and person names: one line of printable text, 1-100 characters, never option-like. */
export const badPersonText = fc.oneof(
  fc.constantFrom('', ' ', '\t  '),
  fc.integer({ min: 101, max: 5_000 }).map((n) => 'x'.repeat(n)),
  withInserted(CONTROL),
  optionLike,
  optionLike.map((o) => `  ${o}`),
  notString,
);

export const badEmail = fc.oneof(
  fc.constantFrom(
    '',
    'plain',
    '@example.com',
    'a@',
    'a@b',
    'a b@example.com',
    'a@exa mple.com',
    'ünï@example.com',
    'a@münchen.de',
    'a@@example.com',
    'a@example..com',
    '.a@example.com',
    '--kubeconfig=x',
    'a@example.com\n',
    'a@127.0.0.1',
    'a@[127.0.0.1]',
    'a@-example.com',
  ),
  fc.integer({ min: 245, max: 2_000 }).map((n) => `${'a'.repeat(n)}@example.com`),
  notString,
);

export const TIER_NAMES = ['demo', 'free', 'professional', 'enterprise'];
export const badTier = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'Professional',
    'PROFESSIONAL',
    ' professional',
    'professional ',
    'enterprise\u0000',
    'demo\n',
    '',
    'trial',
    'premium',
  ),
  fc.string({ maxLength: 20 }).filter((s) => !TIER_NAMES.includes(s)),
  notString,
);

/** The contract's tenant id: a DNS-1035 label of 3-37 characters without `--`. */
export function isTenantIdShape(value: string): boolean {
  return value.length >= 3 && value.length <= 37 && /^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(value) && !value.includes('--');
}

/** Strings that are not tenant ids: option-like, Unicode, traversal, too long or short, wrong case. */
export const badTenantId = fc
  .oneof(
    optionLike,
    nonAscii,
    fc.constantFrom(
      '..',
      '.',
      '../kube-system',
      'kube-system/',
      'a/b',
      '%2e%2e',
      'tenant;rm -rf /',
      '$(id)',
      '`id`',
      'a b',
      'a\u0000b',
      'аcme-main',
      'ACME-MAIN',
      'x',
      'ab',
      '1abc',
      'abc-',
      'ab--cd',
      'xn--abc',
      'a_b',
      'a.b',
    ),
    lower.map((s) => s.toUpperCase() + s),
    fc.integer({ min: 38, max: 300 }).map((n) => 'a'.repeat(n)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  )
  .filter((s) => s !== '' && !isTenantIdShape(s));

/** Well-formed tenant ids that no tenant has (404, never 5xx). */
export const unknownTenantId = fc.stringMatching(/^[a-z][a-z0-9]{2,20}$/).map((s) => `nx-${s}`);

export const badJobId = fc
  .oneof(
    nonAscii,
    optionLike,
    fc.constantFrom('a b', 'a/b', '$(id)', 'a\u0000b'),
    fc.integer({ min: 129, max: 600 }).map((n) => 'j'.repeat(n)),
    fc.string({ unit: 'binary', maxLength: 30 }),
  )
  .filter((s) => s !== '' && !/^[A-Za-z0-9_.:-]{1,128}$/.test(s));
export const unknownJobId = fc.uuid().map((u) => `nx-${u}`);

/** Custom domains the platform must refuse: Unicode IDNs, wildcards, IPs, its own domain, URLs, flags. */
export function badDomain(baseDomain: string) {
  const base = baseDomain.toLowerCase();
  const labels = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.'));
  return fc.oneof(
    fc.constantFrom('münchen.de', 'bücher.example', 'пример.рф', '例え.jp', 'exämple.com', 'xn--mnchen-3ya.de\u200b'),
    fc.tuple(nonAscii, label).map(([u, l]) => `${u}.${l}.com`),
    labels.map((l) => `*.${l}.com`),
    labels.map((l) => `${l}.*.com`),
    labels.map((l) => `*${l}.com`),
    fc.constantFrom('*', '*.*', '*.com', `*.${base}`),
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV6().map((ip) => `[${ip}]`),
    fc.ipV4Extended(),
    // A numeric (decimal or 0x) last label makes URL parsers read the whole host as IPv4.
    fc.tuple(labels, fc.stringMatching(/^(0x[0-9a-f]{0,8}|[0-9]{1,4})$/)).map(([l, n]) => `${l}.${n}`),
    fc.constantFrom(base, `${base}.`, base.toUpperCase(), `xn--mnchen-3ya.${base}`),
    labels.map((l) => `${l}.${base}`),
    fc.mixedCase(labels.map((l) => `${l}.${base}`)),
    labels.map((l) => `${l}.${base}.`),
    optionLike,
    optionLike.map((o) => `${o}.example.com`),
    fc.tuple(labels, fc.constantFrom('https://', 'http://', '//', 'user@')).map(([l, p]) => `${p}${l}.example.com`),
    fc.tuple(labels, fc.constantFrom(':443', ':8080', '/path', '?q=1', '#x', ' ', '\t', '\n')).map(([l, s]) => `${l}.example.com${s}`),
    fc.constantFrom(
      'xn--zz.example.com',
      'ab--cd.example.com',
      'xn--.com',
      'localhost',
      'example',
      '.example.com',
      'a..example.com',
      '-a.example.com',
      'a-.example.com',
      'a_b.example.com',
      'example.123',
      'example.0x1f',
      'shop.0x7f',
    ),
    fc.integer({ min: 64, max: 80 }).map((n) => `${'a'.repeat(n)}.example.com`),
    fc.integer({ min: 4, max: 8 }).map((n) => Array.from({ length: n }, () => 'a'.repeat(63)).join('.')),
    notString,
  );
}

export const badStripeId = (prefix: 'cus' | 'sub') =>
  fc.oneof(
    fc.constantFrom(
      `${prefix}_`,
      `${prefix === 'cus' ? 'sub' : 'cus'}_abc`,
      `${prefix}_a-b`,
      `${prefix}_ä`,
      `${prefix}_abc\n`,
      ` ${prefix}_abc`,
      '--kubeconfig=x',
      `${prefix}_${'a'.repeat(251)}`,
    ),
    optionLike,
    notString,
  );

const hugeNumber = fc.constantFrom(new RawJson('1e400'), new RawJson('-1e400'), 1e308, 2 ** 53 + 2, 1e21, -1, 0.5, 1.5, Number.MAX_SAFE_INTEGER, -0.000001);

/** One bad resource override, or a bad overrides value as a whole. */
export const badResourceOverrides = fc.oneof(
  fc.oneof(fc.constantFrom(0, 10, 1e308), hugeNumber, fc.constantFrom('3', null, true)).map((v) => rawObject([['postgresInstances', v]])),
  fc
    .constantFrom('0Gi', '1Pi', '10gi', '1e3Gi', '-1Gi', '1234567Gi', '10 Gi', '10Gi\n', '--kubeconfig=x', 10, '', '1.5Gi')
    .map((v) => rawObject([['postgresStorageSize', v]])),
  fc.tuple(fc.constantFrom('apiReplicas', 'webReplicas'), fc.oneof(fc.constantFrom(21, 1e21, 0.5, '2', null), hugeNumber)).map(([k, v]) => rawObject([[k, v]])),
  fc.oneof(fc.constantFrom(0, 100_001, 'unlimited', 1.1), hugeNumber).map((v) => rawObject([['mechanicLimit', v]])),
  fc.oneof(fc.constantFrom('Fast', '-x', 'a..b', 'a_b', 'ünï', '', 'x'.repeat(254), '.a'), optionLike, notString).map((v) => rawObject([['storageClass', v]])),
  fc
    .tuple(
      fc.oneof(
        prototypeKey,
        fc
          .string({ maxLength: 8 })
          .filter((k) => !['postgresInstances', 'postgresStorageSize', 'apiReplicas', 'webReplicas', 'mechanicLimit', 'storageClass'].includes(k)),
      ),
      pollution,
    )
    .map(([k, v]) => rawObject([[k, v]])),
  fc.constantFrom(new RawJson('[]'), new RawJson('"x"'), new RawJson('1'), new RawJson('null'), new RawJson('true')),
);
