import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { describe, expect, it, vi } from 'vitest';
import type { AuthEnv } from '../../../src/api/auth/auth.middleware.ts';
import { PROBLEM_CODE_NAMES, PROBLEM_CODES, type ProblemCode } from '../../../src/api/errors/problem-codes.ts';
import { ProblemError } from '../../../src/api/errors/problem-error.ts';
import { createOnError, notFoundHandler, validationHook } from '../../../src/api/errors/problem.handlers.ts';
import { API_PROBLEMS, errorResponses } from '../../../src/api/errors/problem.openapi.ts';
import type { ProblemDocument } from '../../../src/api/errors/problem.schema.ts';
import { ProvisionRequest } from '../../../src/domain/provision-request.ts';

function buildApp() {
  const logger = { error: vi.fn() };
  // A typed Env, as the real app has: the hook must fit any router's Env, not only the default one.
  const app = new OpenAPIHono<AuthEnv & { Variables: { requestId: string } }>({ defaultHook: validationHook });
  app.use(requestId());
  app.onError(createOnError(logger));
  app.notFound(notFoundHandler);
  app.get('/throw/:code', (c) => {
    throw new ProblemError(c.req.param('code') as ProblemCode, { detail: `detail for ${c.req.param('code')}` });
  });
  app.get('/boom', () => {
    throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379');
  });
  app.get('/limited', () => {
    throw new ProblemError('rate_limited', { headers: { 'Retry-After': '30' } });
  });
  app.post('/small', bodyLimit({ maxSize: 16 }), (c) => c.text('ok'));
  const provision = createRoute({
    method: 'post',
    path: '/provision',
    request: { body: { content: { 'application/json': { schema: ProvisionRequest } }, required: true } },
    responses: {
      202: { description: 'Accepted', content: { 'application/json': { schema: z.object({ tenantId: z.string() }) } } },
      ...errorResponses('validation_failed', 'idempotency_mismatch', 'conflict', ...API_PROBLEMS),
    },
  });
  app.openapi(provision, (c) => c.json({ tenantId: c.req.valid('json').companyName }, 202));
  return { app, logger };
}

const validBody = {
  companyName: 'Acme Auto',
  ownerEmail: 'owner@acme.test',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'demo',
};

describe('the error table', () => {
  it('gives every code a distinct tag type URI that names it', () => {
    for (const code of PROBLEM_CODE_NAMES) expect(PROBLEM_CODES[code].type).toBe(`tag:tenant-provisioner,2026:problem:${code}`);
    expect(PROBLEM_CODES).toMatchObject({
      validation_failed: { status: 422 },
      bad_request: { status: 400 },
      unauthorized: { status: 401 },
      forbidden: { status: 403 },
      not_found: { status: 404 },
      conflict: { status: 409 },
      idempotency_mismatch: { status: 422 },
      payload_too_large: { status: 413 },
      rate_limited: { status: 429 },
      dependency_unavailable: { status: 503 },
      internal: { status: 500 },
    });
  });
});

describe('onError', () => {
  it.each(PROBLEM_CODE_NAMES)('renders %s as problem+json with its status', async (code) => {
    const { app } = buildApp();
    const res = await app.request(`/throw/${code}`);
    const row = PROBLEM_CODES[code];
    expect(res.status).toBe(row.status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as ProblemDocument;
    expect(body).toMatchObject({ type: row.type, title: row.title, status: row.status, detail: `detail for ${code}`, instance: `/throw/${code}` });
    expect(body.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('answers an unknown error with a generic 500 and logs the original with its stack', async () => {
    const { app, logger } = buildApp();
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/hunter2|ECONNREFUSED|stack|at /);
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal server error', detail: expect.stringContaining('requestId') });
    expect(logger.error).toHaveBeenCalledOnce();
    const [fields] = logger.error.mock.calls[0] as [{ err: Error; requestId: string }];
    expect(fields.err.message).toContain('hunter2');
    expect(fields.err.stack).toBeDefined();
    expect(fields.requestId).toBe(JSON.parse(text).requestId);
  });

  it('does not log client errors', async () => {
    const { app, logger } = buildApp();
    await app.request('/throw/conflict');
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('passes problem headers through (Retry-After)', async () => {
    const res = await buildApp().app.request('/limited');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
  });

  it('maps Hono HTTPExceptions: body limit to 413, malformed JSON to 400', async () => {
    const { app } = buildApp();
    const big = await app.request('/small', { method: 'POST', body: 'x'.repeat(100), headers: { 'content-length': '100' } });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ title: 'Payload too large' });
    const malformed = await app.request('/provision', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toBe('application/problem+json');
    expect(await malformed.json()).toMatchObject({ title: 'Bad request', detail: expect.stringMatching(/JSON/) });
  });
});

describe('notFound', () => {
  it('answers 404 problem+json', async () => {
    const res = await buildApp().app.request('/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, instance: '/nowhere', detail: 'No route matches GET /nowhere' });
  });
});

describe('validationHook', () => {
  const post = (body: unknown) =>
    buildApp().app.request('/provision', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  it('answers 422 naming each invalid field by path', async () => {
    const res = await post({ ...validBody, ownerEmail: 'not-an-email', resourceOverrides: { apiReplicas: 99 }, extra: 1 });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as ProblemDocument;
    expect(body).toMatchObject({ type: PROBLEM_CODES.validation_failed.type, status: 422 });
    expect(body.errors?.map((e) => e.path).sort()).toEqual(['extra', 'ownerEmail', 'resourceOverrides.apiReplicas']);
    expect(body.detail).toBe('The request has 3 invalid fields: ownerEmail, resourceOverrides.apiReplicas, extra');
  });

  it('lets valid bodies through', async () => {
    const res = await post(validBody);
    expect(res.status).toBe(202);
  });

  it('names the body itself when it is not an object', async () => {
    const res = await post([1, 2]);
    expect(((await res.json()) as ProblemDocument).errors).toEqual([{ path: 'body', message: expect.any(String) }]);
  });
});

describe('errorResponses', () => {
  it('spreads one problem+json response per status, merging codes that share one', () => {
    const responses = errorResponses('validation_failed', 'idempotency_mismatch', 'conflict');
    expect(Object.keys(responses)).toEqual(['409', '422']);
    expect(responses[422].description).toBe('Validation failed (validation_failed); or Idempotency key reused with a different request (idempotency_mismatch)');
    expect(Object.keys(responses[409].content)).toEqual(['application/problem+json']);
  });

  it('puts the Problem component into the generated OpenAPI document', () => {
    const doc = buildApp().app.getOpenAPIDocument({ openapi: '3.0.3', info: { title: 't', version: '1' } });
    const responses = doc.paths['/provision']?.post?.responses ?? {};
    expect(Object.keys(responses).sort()).toEqual(['202', '401', '403', '409', '422', '429', '500']);
    expect(responses['409']).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
    expect(doc.components?.schemas?.['Problem']).toBeDefined();
    const request = doc.components?.schemas?.['ProvisionRequest'] as { properties: Record<string, { enum?: string[] }>; required: string[] };
    expect(request.properties['subscriptionTier']?.enum).toEqual(['demo', 'free', 'professional', 'enterprise']);
    expect(request.required).toEqual(['companyName', 'ownerEmail', 'ownerFirstName', 'ownerLastName', 'subscriptionTier']);
  });
});
