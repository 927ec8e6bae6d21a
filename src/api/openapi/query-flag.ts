import { z } from '@hono/zod-openapi';

/** An optional `?name=true|false` query parameter: a query string carries text, so the flag is the word. */
export const queryFlag = (name: string, example: 'true' | 'false', description: string) =>
  z
    .enum(['true', 'false'])
    .optional()
    .openapi({ param: { name, in: 'query' }, example, description });
