import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError, MalformedInputError } from '../../../src/domain/errors.ts';
import { listTenants } from '../../../src/services/tenant-listing.ts';

// What client-node 2.x rejects with: the HTTP status as `code`, the Status object as `body`.
const apiError = (code: number, body: object) => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: JSON.stringify(body) });
const failing = (error: unknown) => ({ list: async () => Promise.reject(error) });
const query = { limit: 10, cursor: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzNCwic3RhcnQiOiJ0ZW5hbnQtYWNtZVx1MDAwMCJ9' };

describe('the tenant list and its cursor', () => {
  it('answers a cursor naming a resource version the API server has not reached (504 ResourceVersionTooLarge) as a bad cursor, not an outage', async () => {
    // What the sandbox's kube-apiserver answered to Schemathesis' forged cursor.
    const error = apiError(504, {
      kind: 'Status',
      message: 'Timeout: Too large resource version: 1234, current: 312',
      reason: 'Timeout',
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] },
      code: 504,
    });
    await expect(listTenants(failing(error), query)).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('still answers an API server timeout as an outage, with or without a cursor', async () => {
    const error = apiError(504, { kind: 'Status', message: 'Timeout: request did not complete within 60s', reason: 'Timeout', code: 504 });
    await expect(listTenants(failing(error), query)).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(listTenants(failing(error), { limit: 10 })).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
