import { describe, expect, it } from 'vitest';
import { claimName, normaliseHost } from '../../../src/kubernetes/domain-claims.ts';
import { isDns1123Subdomain } from '../../../src/domain/dns-names.ts';

describe('custom-domain claim names', () => {
  it('treats case and a trailing dot as the same host', () => {
    expect(['Shop.Example.COM', 'shop.example.com.', ' shop.example.com ', 'SHOP.EXAMPLE.COM.'].map(normaliseHost)).toEqual(Array(4).fill('shop.example.com'));
    expect(new Set(['Shop.Example.COM', 'shop.example.com.', 'shop.example.com'].map(claimName)).size).toBe(1);
  });

  it('gives different hosts different names, each a valid ConfigMap name of fixed length', () => {
    const hosts = [
      'shop.example.com',
      'shop.example.co',
      'www.shop.example.com',
      'xn--bcher-kva.example',
      `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
    ];
    const names = hosts.map(claimName);
    expect(new Set(names).size).toBe(hosts.length);
    for (const name of names) {
      expect(name).toMatch(/^domain-[0-9a-f]{40}$/);
      expect(isDns1123Subdomain(name)).toBe(true);
    }
    // Pinned: a change of scheme would hide every existing claim, and two tenants could then share a host.
    expect(claimName('shop.example.com')).toBe('domain-951623a26f8b3388802aa74907be0916ccafb0be');
  });

  it('refuses what is not a host at all', () => {
    for (const bad of ['', '.', '   ', 'shop.example.com/x', 'a b.example.com']) expect(() => normaliseHost(bad), bad).toThrow(RangeError);
  });
});
