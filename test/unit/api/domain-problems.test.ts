import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { PROBLEM_CODES } from '../../../src/api/errors/problem-codes.ts';
import { createOnError } from '../../../src/api/errors/problem.handlers.ts';
import {
  ChangeRejectedError,
  ConflictError,
  DependencyUnavailableError,
  type DomainError,
  IdempotencyMismatchError,
  MalformedInputError,
  NotFoundError,
  TenantConflictError,
  TenantNotFoundError,
  ValidationError,
} from '../../../src/domain/errors.ts';

/** Throws `error` from a route of a bare app that has only the real onError. */
async function answer(error: DomainError) {
  const logger = { error: vi.fn() };
  const app = new Hono();
  app.onError(createOnError(logger));
  app.get('/x', () => {
    throw error;
  });
  const response = await app.request('/x');
  return { response, body: (await response.json()) as Record<string, unknown>, logger };
}

describe('domain errors through the one table', () => {
  const cases: [DomainError, keyof typeof PROBLEM_CODES][] = [
    [new NotFoundError('No job j-1'), 'not_found'],
    [new TenantNotFoundError('acme-abc123'), 'not_found'],
    [new ConflictError('Tenant acme-abc123 already exists', { errors: [{ path: 'tenantId', message: 'is already taken' }] }), 'conflict'],
    [new TenantConflictError('acme-abc123', 'deprovisioning', 'Tenant acme-abc123 is being removed'), 'conflict'],
    [new ValidationError('bad', [{ path: 'x', message: 'no' }]), 'validation_failed'],
    [new ChangeRejectedError('acme-abc123', [{ path: 'subscriptionTier', message: 'cannot shrink' }]), 'validation_failed'],
    [new MalformedInputError('The Stripe-Signature header is missing'), 'bad_request'],
    [new IdempotencyMismatchError(), 'idempotency_mismatch'],
    [new DependencyUnavailableError('Redis', new Error('ECONNREFUSED')), 'dependency_unavailable'],
  ];

  it.each(cases)('%s is answered as its problem code, message as detail, field errors kept', async (error, code) => {
    const { response, body } = await answer(error);
    expect(response.status).toBe(PROBLEM_CODES[code].status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(body).toMatchObject({ type: PROBLEM_CODES[code].type, title: PROBLEM_CODES[code].title, status: PROBLEM_CODES[code].status, detail: error.message });
    if (error.errors === undefined) expect(body).not.toHaveProperty('errors');
    else expect(body['errors']).toEqual(error.errors);
  });

  it('sends Retry-After when the error says when to retry, and none otherwise', async () => {
    const busy = await answer(new ConflictError('Another delivery of this event is being processed', { retryAfterSeconds: 5 }));
    expect(busy.response.headers.get('retry-after')).toBe('5');
    const plain = await answer(new ConflictError('taken'));
    expect(plain.response.headers.get('retry-after')).toBeNull();
  });

  it('logs a 503 with its cause and sends only the written detail', async () => {
    const cause = new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379');
    const { body, logger } = await answer(new DependencyUnavailableError('Redis', cause));
    expect(body['detail']).toBe('Redis is unavailable; try again shortly');
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(logger.error).toHaveBeenCalledOnce();
    expect((logger.error.mock.calls[0]![0] as { err: Error }).err.cause).toBe(cause);
  });
});
