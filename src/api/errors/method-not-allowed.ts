import type { MiddlewareHandler } from 'hono';
import { problemResponse } from './problem.handlers.ts';
import { ProblemError } from './problem-error.ts';

/** A documented operation: its method and its OpenAPI path (`/api/jobs/{jobId}`). */
export type RouteEntry = { method: string; path: string };

/**
 * First in the chain: a request whose path the OpenAPI document describes, but not with this
 * method, is answered 405 with an `Allow` header naming the documented methods (RFC 9110 §15.5.6),
 * before authentication (it reveals nothing the public document does not). Only documented paths:
 * the admin page and Bull Board keep answering strangers 401 or 404 before anything else. Paths
 * follow OpenAPI's matching rule, concrete before templated: `/api/provisioning/validate` is the
 * validate operation's, so `PUT` there is a 405, not an update of a tenant named "validate" (such
 * ids are reserved). `routes` is read per request: the document is complete only after mounting.
 */
export function methodNotAllowed(routes: () => readonly RouteEntry[]): MiddlewareHandler {
  // Compiled again only when the routes changed (they stop changing once every router is mounted).
  let source: readonly RouteEntry[] = [];
  let templates: Template[] = [];
  return async (c, next) => {
    const current = routes();
    if (current.length !== source.length || current.some((route, i) => route !== source[i])) {
      source = current;
      templates = current.map(compile);
    }
    const allowed = matchingMethods(templates, c.req.path);
    if (allowed.length === 0 || allowed.includes(c.req.method.toUpperCase())) return next();
    return problemResponse(
      c,
      new ProblemError('method_not_allowed', {
        detail: `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allowed.join(', ')}`,
        headers: { Allow: allowed.join(', ') },
      }),
    );
  };
}

/**
 * The methods of the most specific route paths matching `path` (most literal segments first), HEAD
 * wherever GET is (Hono answers HEAD with the GET handler). Empty when no route path matches.
 */
export function allowedMethods(routes: readonly RouteEntry[], path: string): string[] {
  return matchingMethods(routes.map(compile), path);
}

// An OpenAPI path template split into segments; null for a `{name}` segment (one non-empty segment).
type Template = { method: string; segments: readonly (string | null)[] };

const compile = (route: RouteEntry): Template => ({
  method: route.method.toUpperCase(),
  segments: route.path.split('/').map((segment) => (/^\{[^}]+\}$/.test(segment) ? null : segment)),
});

function matchingMethods(templates: readonly Template[], path: string): string[] {
  const got = path.split('/');
  let best = -1;
  let methods = new Set<string>();
  for (const template of templates) {
    const literals = literalSegments(template.segments, got);
    if (literals === undefined || literals < best) continue;
    if (literals > best) {
      best = literals;
      methods = new Set();
    }
    methods.add(template.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

// How many segments matched literally, or undefined when the template does not match.
function literalSegments(want: readonly (string | null)[], got: readonly string[]): number | undefined {
  if (want.length !== got.length) return undefined;
  let literals = 0;
  for (let i = 0; i < want.length; i += 1) {
    const segment = want[i];
    const actual = got[i]!;
    if (segment === null) {
      if (actual === '') return undefined;
    } else if (segment === actual) literals += 1;
    else return undefined;
  }
  return literals;
}

/** The documented operations of an OpenAPIHono app, from its registry. */
export function documentedRoutes(definitions: readonly { type: string }[]): RouteEntry[] {
  return definitions.flatMap((d) => (d.type === 'route' ? [(d as unknown as { route: RouteEntry }).route] : []));
}
