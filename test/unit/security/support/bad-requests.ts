import fc from 'fast-check';
import { badJobId, badTenantId, encode, optionLike, prototypeKey, unknownJobId, unknownTenantId } from './bad-values.ts';
import { badProvisionBody, badUpdateBody, contentType, idempotencyKey, notAnObject } from './bad-bodies.ts';
import { DONE_JOB, TENANT, type FuzzRequest, type OpenApiOperation } from './fuzz-app.ts';

/** Characters an HTTP header value can carry (latin1 without CR, LF and NUL; fetch trims the ends). */
const headerChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)).map((c) => String.fromCharCode(c));
export const headerValue = fc.string({ unit: headerChar, maxLength: 80 });
const asciiish = (s: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(s);

/** Query and header values: option-like, prototype names, numbers out of range, odd text. */
const oddValue = fc.oneof(
  optionLike,
  prototypeKey,
  fc.constantFrom('', ' ', '-1', '0', '1e400', 'NaN', 'Infinity', '9'.repeat(400), '0x10', '1.5', 'true', 'null', '[]', '{}', 'a,b', '%00', '%zz', '\u0000'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function pathValue(name: string, op: OpenApiOperation): fc.Arbitrary<string> {
  if (name === 'tenantId') {
    // The existing tenant only where the body is bad too: a bodiless POST to it would be a good request.
    return op.bodySchema === 'UpdateRequest' ? fc.oneof(badTenantId, unknownTenantId, fc.constant(TENANT)) : fc.oneof(badTenantId, unknownTenantId);
  }
  if (name === 'jobId') return op.method === 'GET' ? fc.oneof(badJobId, unknownJobId, fc.constant(DONE_JOB)) : fc.oneof(badJobId, unknownJobId);
  return oddValue;
}

function bodyFor(op: OpenApiOperation, baseDomain: string): fc.Arbitrary<string | undefined> {
  if (op.bodySchema === 'ProvisionRequest') return badProvisionBody(baseDomain);
  if (op.bodySchema === 'UpdateRequest') return badUpdateBody(baseDomain);
  if (op.bodySchema !== undefined) return fc.oneof(notAnObject, fc.json({ maxDepth: 3 }));
  return fc.option(fc.oneof(notAnObject, fc.json({ maxDepth: 2 })), { nil: undefined, freq: 4 });
}

/** `?a=1&b=2` from pairs, each side encoded, so the server sees exactly the generated values. */
const query = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`;

/**
 * One bad request for an operation of the OpenAPI document: odd path parameters, declared query
 * and header parameters with odd values (repeated, too), stray parameters, a wrong method now and
 * then, and a bad body where the route takes one. Authenticated as a superadmin, so validation,
 * not authentication, is what is exercised.
 */
export function badRequestFor(op: OpenApiOperation, baseDomain: string): fc.Arbitrary<FuzzRequest> {
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const declared = (where: 'query' | 'header') => op.params.filter((p) => p.in === where).map((p) => p.name);
  const queryPairs = fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...declared('query'), 'access_token', '__proto__', 'constructor[prototype][polluted]'), fc.string({ maxLength: 8 })),
      oddValue,
    ),
    { maxLength: 4 },
  );
  const headerPairs = fc.array(
    fc.tuple(
      fc.constantFrom(
        ...declared('header'),
        'idempotency-key',
        'last-event-id',
        'x-request-id',
        'accept',
        'content-type',
        'x-forwarded-for',
        'origin',
        'cookie',
        'stripe-signature',
      ),
      fc.oneof(headerValue, optionLike.filter(asciiish), idempotencyKey, contentType),
    ),
    { maxLength: 3 },
  );
  return fc
    .record({
      params: fc.tuple(...names.map((n) => pathValue(n, op))),
      queryPairs,
      headerPairs,
      method: fc.oneof({ weight: 9, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
      body: bodyFor(op, baseDomain),
    })
    .map(({ params, queryPairs: q, headerPairs: h, method, body }) => {
      let i = 0;
      const path = op.path.replace(/\{[^}]+\}/g, () => encode(params[i++] ?? ''));
      const headers = Object.fromEntries(h.map(([k, v]) => [k, v.replace(/[\r\n\0]/g, '')]));
      if (body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
      const canHaveBody = method !== 'GET' && method !== 'HEAD';
      return { method, path: `${path}${query(q)}`, headers, body: canHaveBody ? body : undefined };
    });
}
