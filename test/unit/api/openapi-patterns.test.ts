import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantListQuery } from '../../../src/services/tenant-listing.ts';
import { JobEventsQuery } from '../../../src/api/jobs/jobs.schemas.ts';
import { HOSTNAME_PATTERN, KubernetesName } from '../../../src/domain/dns-names.ts';
import { ProvisionRequest } from '../../../src/domain/provision-request.ts';
import { TenantId } from '../../../src/domain/tenant-id.ts';
import { TenantLabels } from '../../../src/domain/tenant-labels.ts';
import { CustomDomain } from '../../../src/domain/custom-domain.ts';
import { testApp } from './support/harness.ts';

type Found = { pointer: string; pattern: string };

/** Every `pattern` in the document, with where it is (properties named "pattern" are not keywords). */
function patternsIn(value: unknown, pointer = ''): Found[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => patternsIn(item, `${pointer}/${i}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = `${pointer}/${key}`;
    if (key === 'pattern' && typeof child === 'string') return [{ pointer: here, pattern: child }];
    if (key === 'properties' && typeof child === 'object' && child !== null) {
      return Object.entries(child).flatMap(([name, schema]) => patternsIn(schema, `${here}/${name}`));
    }
    return patternsIn(child, here);
  });
}

/**
 * Why `pattern` is not a JSON Schema regex that every validator reads alike, or undefined. JSON
 * Schema patterns are ECMA-262 regexes without flags: a trailing `/u` is a flag that leaked into
 * the text, and `\p{…}` means "p{…}" without the `u` flag. Compiling with `u` as well rejects
 * Annex B leniencies (lone braces, identity escapes) that other dialects (Python's re) read otherwise.
 */
function patternProblem(pattern: string): string | undefined {
  if (/\/[dgimsuvy]+$/.test(pattern) || pattern.startsWith('/')) return 'carries regex-literal slashes or a flag';
  if (/\\[pP]\{/.test(pattern)) return 'uses a \\p{…} class, which needs the u flag';
  try {
    new RegExp(pattern);
  } catch (error) {
    return `is not an ECMA-262 regex: ${(error as Error).message}`;
  }
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    return `relies on Annex B leniency: ${(error as Error).message}`;
  }
  return undefined;
}

describe("the OpenAPI document's patterns", () => {
  it('are JSON Schema regexes: no flag, no \\p classes, valid with and without u', async () => {
    const { app } = await testApp();
    const doc: unknown = await (await app.request('/openapi.json')).json();
    const found = patternsIn(doc);
    expect(found.length).toBeGreaterThan(15);
    expect(found.map((f) => ({ ...f, problem: patternProblem(f.pattern) })).filter((f) => f.problem !== undefined)).toEqual([]);
  });

  it('finds a leaked flag and a \\p class (the check itself)', () => {
    expect(patternProblem('^[^\\p{Cc}]*$/u')).toBe('carries regex-literal slashes or a flag');
    expect(patternProblem('^[^\\p{Cc}]*$')).toBe('uses a \\p{…} class, which needs the u flag');
    expect(patternProblem('^a{$')).toMatch(/Annex B/);
    expect(patternProblem('^[a-z](-?[a-z0-9])*$')).toBeUndefined();
  });
});

// The documented pattern of a field must accept exactly what its zod schema accepts, or the
// document and the server disagree (what the contract test found). Strings over an alphabet of
// the characters each rule is about, so that edge cases are common.
const over = (chars: string, maxLength: number) => fc.string({ unit: fc.constantFrom(...chars), maxLength });

type Doc = {
  components: { schemas: Record<string, { properties: Record<string, { pattern?: string }> }> };
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; schema: { pattern?: string } }> }>>;
};
let doc: Doc;
beforeAll(async () => {
  const { app } = await testApp();
  doc = (await (await app.request('/openapi.json')).json()) as Doc;
});
const property = (schema: string, name: string) => doc.components.schemas[schema]!.properties[name]!.pattern!;
const parameter = (path: string, method: string, name: string) => doc.paths[path]![method]!.parameters!.find((p) => p.name === name)!.schema.pattern!;

function agree(name: string, pattern: () => string, accepts: (value: string) => boolean, strings: fc.Arbitrary<string>, except?: (value: string) => boolean) {
  it(`${name}: the documented pattern accepts exactly what the server does`, () => {
    const regex = new RegExp(pattern());
    fc.assert(
      fc.property(strings, (value) => {
        if (except?.(value)) return;
        expect(regex.test(value), JSON.stringify(value)).toBe(accepts(value));
      }),
      { numRuns: 3_000 },
    );
  });
}

const ok = (schema: { safeParse: (v: unknown) => { success: boolean } }) => (value: string) => schema.safeParse(value).success;

describe('documented patterns agree with the zod schemas', () => {
  // Length bounds are documented beside the pattern (minLength/maxLength); strings past them are skipped.
  agree(
    "a person's name",
    () => property('ProvisionRequest', 'companyName'),
    ok(ProvisionRequest.shape.companyName),
    over(' \u00a0\u2003\ufeff\t\n\x7f\x85aZ-é.', 12),
  );
  agree('an email address', () => property('ProvisionRequest', 'ownerEmail'), ok(ProvisionRequest.shape.ownerEmail), over("a.Z0_'+-@.é ", 14));
  agree(
    'a tenant id',
    () => property('ProvisionRequest', 'tenantId'),
    ok(TenantId),
    over('az09-', 12),
    (v) => v.length < 3,
  );
  agree('a Kubernetes name', () => property('ResourceOverrides', 'storageClass'), ok(KubernetesName), over('a0-.', 12));
  // Punycode labels (xn--…), which the server accepts when they decode, are left out of the pattern on purpose.
  agree(
    'a custom domain',
    () => property('ProvisionRequest', 'customDomain'),
    ok(CustomDomain),
    over('ax0-.9', 14),
    (v) => /(^|\.)xn--/.test(v),
  );
  agree(
    'an event id',
    () => parameter('/api/jobs/{jobId}/events', 'get', 'lastEventId'),
    (v) => JobEventsQuery.safeParse({ lastEventId: v }).success,
    over('09-a', 8),
  );
  agree(
    'a tenant list cursor',
    () => parameter('/api/tenants', 'get', 'cursor'),
    (v) => TenantListQuery.safeParse({ cursor: v }).success,
    over('aZ9_=+/.-%» ', 10),
    (v) => v.length === 0,
  );
  agree(
    'a tenant list label filter',
    () => parameter('/api/tenants', 'get', 'label'),
    (v) => TenantListQuery.safeParse({ label: v }).success,
    fc
      .array(fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', '=', ',', 'kubernetes.io', 'k8s.io', 'example.com', ' '), { maxLength: 10 })
      .map((p) => p.join('')),
  );
  agree(
    'a tenant label key',
    () => (doc.components.schemas.ProvisionRequest!.properties.labels as { propertyNames: { pattern: string } }).propertyNames.pattern,
    (key) => TenantLabels.safeParse({ [key]: '' }).success,
    fc
      .array(fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', 'kubernetes.io', 'tenant-provisioner.io', 'x'.repeat(60), 'é'), { maxLength: 6 })
      .map((p) => p.join('')),
  );
  it('the documented hostname pattern is the one custom domains use', () => expect(property('ProvisionRequest', 'customDomain')).toBe(HOSTNAME_PATTERN));
});
