import type { Context, Env, ErrorHandler, NotFoundHandler, ValidationTargets } from 'hono';
import type { ZodError } from 'zod';
import { HTTPException } from 'hono/http-exception';
import { isDomainError } from '../../domain/errors.ts';
import { fieldErrorsFrom } from '../../domain/field-error.ts';
import { problemFromDomainError } from './domain-problems.ts';
import { problemCodeForStatus } from './problem-codes.ts';
import { ProblemError } from './problem-error.ts';
import { PROBLEM_CONTENT_TYPE, type ProblemDocument } from './problem.schema.ts';

/** What `onError` needs from a logger; a pino logger fits. */
export interface ProblemLogger {
  error(object: Record<string, unknown>, message: string): void;
}

const GENERIC_DETAIL = 'An unexpected error occurred. It has been logged; quote the requestId when reporting it.';

/** Renders a problem as `application/problem+json`, keeping headers already set on the context. */
export function problemResponse(c: Context, problem: ProblemError): Response {
  const requestId = requestIdOf(c);
  const body: ProblemDocument = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    ...(problem.detail === undefined ? {} : { detail: problem.detail }),
    instance: c.req.path,
    ...(requestId === undefined ? {} : { requestId }),
    ...(problem.errors === undefined ? {} : { errors: [...problem.errors] }),
  };
  return c.body(JSON.stringify(body), problem.status, { ...problem.headers, 'Content-Type': PROBLEM_CONTENT_TYPE });
}

/** The single `app.onError`: known problems as they are, domain errors through their table, anything else a logged, generic 500. */
export function createOnError(logger: ProblemLogger): ErrorHandler {
  return (error, c) => {
    const problem = toProblem(error);
    if (problem.status >= 500) {
      // The original error (with its stack) goes to the log only; the client sees the generic detail.
      logger.error({ err: error, code: problem.code, requestId: requestIdOf(c), method: c.req.method, path: c.req.path }, 'request failed');
    }
    return problemResponse(c, problem);
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  problemResponse(c, new ProblemError('not_found', { detail: `No route matches ${c.req.method} ${c.req.path}` }));

const TARGET_LABELS: Record<string, string> = { json: 'body', form: 'body', query: 'query', param: 'path', header: 'headers', cookie: 'cookies' };

/** What @hono/zod-openapi hands a hook after validating one part of the request. */
export type ValidationResult = { target: keyof ValidationTargets } & ({ success: true; data: unknown } | { success: false; error: ZodError });

/**
 * The `defaultHook` for every OpenAPIHono router: a zod failure becomes a 422 naming each field.
 * Generic in the app's Env so that `new OpenAPIHono<AppEnv>({ defaultHook: validationHook })` type-checks.
 */
export function validationHook<E extends Env>(result: ValidationResult, c: Context<E>): Response | undefined {
  if (result.success) return undefined;
  const errors = fieldErrorsFrom(result.error, TARGET_LABELS[result.target] ?? result.target);
  const fields = [...new Set(errors.map((e) => e.path))].join(', ');
  const detail = `The request has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${fields}`;
  return problemResponse(c, new ProblemError('validation_failed', { detail, errors }));
}

function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (isDomainError(error)) return problemFromDomainError(error);
  if (error instanceof HTTPException) {
    const code = problemCodeForStatus(error.status);
    // Hono's own 4xx messages ("Malformed JSON in request body") are meant for clients; 5xx ones are not.
    const detail = error.status < 500 && error.message !== '' ? error.message : undefined;
    return new ProblemError(code, { ...(detail === undefined ? {} : { detail }), cause: error });
  }
  return new ProblemError('internal', { detail: GENERIC_DETAIL, cause: error });
}

function requestIdOf(c: Context): string | undefined {
  const value: unknown = (c.var as Record<string, unknown>)['requestId'];
  return typeof value === 'string' ? value : undefined;
}
