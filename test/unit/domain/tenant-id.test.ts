import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALWAYS_RESERVED_TENANT_IDS,
  generateTenantId,
  namespaceFor,
  releaseFor,
  reservedTenantIdProblem,
  slugify,
  TENANT_ID_MAX_LENGTH,
  TenantId,
} from '../../../src/domain/tenant-id.ts';

// DNS-1035: what Kubernetes Services named after the id require.
const DNS1035_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

describe('slugify', () => {
  it.each([
    ['Acme Auto Repair', 'acme-auto-repair'],
    ["Joe's Garage & Sons, Inc.", 'joe-s-garage-sons-inc'],
    ['Müller & Söhne Kfz-Werkstatt', 'muller-sohne-kfz-werkstatt'],
    ['Crème Brûlée Autos', 'creme-brulee-autos'],
    ['Smørrebrød Straße', 'smorrebrod-strasse'],
    ['Łódź Æther Œuvre', 'lodz-aether-oeuvre'],
    ['İstanbul Oto', 'istanbul-oto'],
    ['ＡＢＣ Garage', 'abc-garage'],
    ['  --Fast__Lane--  ', 'fast-lane'],
    ['🚗🔧', 'tenant'],
    ['日本語の店', 'tenant'],
    ['', 'tenant'],
    ['---', 'tenant'],
    ['Garage 🚗 Nord', 'garage-nord'],
    ['24/7 Towing', 't-24-7-towing'],
    ['3M Service', 't-3m-service'],
    ['🔧 4x4 Werkstatt', 't-4x4-werkstatt'],
  ])('%j → %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('cuts long names to 30 characters without a trailing dash', () => {
    expect(slugify('The Very Long Named Automotive Repair and Service Company')).toBe('the-very-long-named-automotive');
    expect(slugify('abcdefghijklmnopqrstuvwxyz abc def')).toBe('abcdefghijklmnopqrstuvwxyz-abc');
    expect(slugify('abcdefghijklmnopqrstuvwxyz abcd-efg')).toBe('abcdefghijklmnopqrstuvwxyz-abc');
    expect(slugify('abcdefghijklmnopqrstuvwxyzabc d')).toBe('abcdefghijklmnopqrstuvwxyzabc');
  });
});

describe('generateTenantId', () => {
  it('appends the random hex', () => {
    expect(generateTenantId('Acme Auto', '3f9a1c')).toBe('acme-auto-3f9a1c');
    expect(generateTenantId('🚗', '000000')).toBe('tenant-000000');
  });

  it('refuses a suffix that is not 6 lowercase hex characters', () => {
    for (const bad of ['', 'abc', '3F9A1C', '3f9a1cd', 'zzzzzz', '--kube']) {
      expect(() => generateTenantId('Acme', bad)).toThrow(RangeError);
    }
  });

  it('always yields a valid id whose namespace (≤ 63) and release (≤ 53) names fit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.stringMatching(/^[0-9a-f]{6}$/), (name, hex) => {
        const id = generateTenantId(name, hex);
        expect(TenantId.safeParse(id).success).toBe(true);
        expect(id).toMatch(DNS1035_LABEL);
        expect(id.length).toBeLessThanOrEqual(TENANT_ID_MAX_LENGTH);
        expect(id.endsWith(`-${hex}`)).toBe(true);
        expect(namespaceFor('tenant-', id).length).toBeLessThanOrEqual(63);
        expect(releaseFor('tenant-', id).length).toBeLessThanOrEqual(53);
      }),
      { numRuns: 500 },
    );
  });

  it('slugs are stable: slugifying a slug changes nothing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (name) => {
        const slug = slugify(name);
        expect(slug.length).toBeGreaterThan(0);
        expect(slug.length).toBeLessThanOrEqual(30);
        expect(slug).toMatch(DNS1035_LABEL);
        expect(slugify(slug)).toBe(slug);
      }),
      { numRuns: 500 },
    );
  });
});

describe('TenantId', () => {
  it.each(['acme-auto-3f9a1c', 'abc', 't-3m-garage', 'a'.repeat(37)])('accepts %s', (id) => {
    expect(TenantId.safeParse(id).success).toBe(true);
  });

  it.each([
    ['option-like', '--kubeconfig=x'],
    ['leading dash', '-acme'],
    ['leading digit (Service names must start with a letter)', '3m-garage'],
    ['trailing dash', 'acme-'],
    ['double dash (IDN-reserved)', 'xn--acme'],
    ['uppercase', 'Acme'],
    ['dot', 'acme.auto'],
    ['too short', 'ab'],
    ['too long', 'a'.repeat(38)],
    ['space', 'acme auto'],
    ['empty', ''],
  ])('rejects %s: %j', (_why, id) => {
    expect(TenantId.safeParse(id).success).toBe(false);
  });
});

describe('namespaceFor / releaseFor', () => {
  it('prefix the id', () => {
    expect(namespaceFor('tenant-', 'acme-auto-3f9a1c')).toBe('tenant-acme-auto-3f9a1c');
    expect(releaseFor('tenant-', 'acme-auto-3f9a1c')).toBe('tenant-acme-auto-3f9a1c');
  });

  it('refuse names Kubernetes or Helm would reject', () => {
    expect(() => namespaceFor('x'.repeat(27), 'a'.repeat(37))).toThrow(/exceeds 63/);
    expect(() => releaseFor('x'.repeat(17), 'a'.repeat(37))).toThrow(/exceeds 53/);
  });
});

describe('reserved tenant ids', () => {
  const configured = ['www', 'api', 'admin', 'app', 'mail', 'status', 'docs', 'auth', 'login', 'dashboard'];

  it('www, api and admin are always reserved; configured ids add to them', () => {
    expect(ALWAYS_RESERVED_TENANT_IDS).toEqual(['www', 'api', 'admin']);
    for (const id of ['www', 'api', 'admin']) expect(reservedTenantIdProblem(id, [])).toMatch(/reserved/);
    expect(reservedTenantIdProblem('status', [])).toBeUndefined();
    expect(reservedTenantIdProblem('status', configured)).toMatch(/reserved/);
    expect(reservedTenantIdProblem('www-garage', configured)).toBeUndefined();
  });

  it('generateTenantId never yields a reserved id: a reserved result takes the next suffix, wrapping at ffffff', () => {
    expect(generateTenantId('Acme', 'abc123', ['acme-abc123'])).toBe('acme-abc124');
    expect(generateTenantId('Acme', 'ffffff', ['acme-ffffff', 'acme-000000'])).toBe('acme-000001');
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.stringMatching(/^[0-9a-f]{6}$/),
        fc.array(fc.stringMatching(/^[0-9a-f]{6}$/), { maxLength: 5 }),
        (name, hex, taken) => {
          // Reserve the very ids this name would be given, plus the configured hosts.
          const reserved = [...configured, ...[hex, ...taken].map((h) => `${slugify(name)}-${h}`)];
          const id = generateTenantId(name, hex, reserved);
          expect(reservedTenantIdProblem(id, reserved)).toBeUndefined();
          expect(TenantId.safeParse(id).success).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
