import { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { AuthVariables } from './auth/auth.middleware.ts';
import { validationHook } from './errors/problem.handlers.ts';

/** What every request carries: its id, its own logger, and (behind bearerAuth) the caller. */
export type AppVariables = AuthVariables & { requestId: string; logger: Logger };
export type AppEnv = { Variables: AppVariables };

/** A route group's router: zod failures become 422 problems naming each field. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
