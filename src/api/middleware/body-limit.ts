import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProblemError } from '../errors/problem-error.ts';

/**
 * Refuses bodies over `maxBytes` with a 413 problem before any handler runs: by Content-Length when
 * it is declared, by counting while reading when the body is chunked. Requests without a body pass.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ProblemError('payload_too_large', { detail: `The request body must be at most ${maxBytes} bytes` });
    },
  });
  // GET and HEAD carry no body under @hono/node-server, and asking a request for its body there
  // builds the whole Fetch Request (URL, Headers, AbortSignal): ~2 KiB for as long as an SSE stream lives.
  return (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limit(c, next));
}
