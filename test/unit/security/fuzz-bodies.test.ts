import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { badTenantId, encode, unknownTenantId } from './support/bad-values.ts';
import { badProvisionBody, badUpdateBody, contentType, idempotencyKey } from './support/bad-bodies.ts';
import { fuzzApp, TENANT, type FuzzApp } from './support/fuzz-app.ts';

// Generated bad request bodies against the intake routes (provision, validate, update): whatever
// the body, the answer is a 4xx problem (validate: a 200 verdict saying invalid), never a 5xx, and
// nothing is written: no job, no namespace, no idempotency key, no polluted prototype.
const RUNS = { provision: 3_000, validate: 1_500, update: 2_000 };
const TIMEOUT = 120_000;

let f: FuzzApp;
beforeAll(async () => {
  f = await fuzzApp();
});

const headers = (type: string, extra: Record<string, string> = {}) => (type === '' ? extra : { 'Content-Type': type, ...extra });

describe('fuzzed request bodies', () => {
  it(
    `POST /api/provisioning/provision: ${RUNS.provision} bad bodies are refused and change nothing`,
    async () => {
      const before = f.requests();
      await fc.assert(
        fc.asyncProperty(
          badProvisionBody(f.t.config.platform.baseDomain),
          contentType,
          fc.option(idempotencyKey, { nil: undefined }),
          async (body, type, key) => {
            const res = await f.send({
              method: 'POST',
              path: '/api/provisioning/provision',
              body,
              headers: headers(type, key === undefined ? {} : { 'Idempotency-Key': key }),
            });
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(f.sideEffects()).toEqual([]);
          },
        ),
        { numRuns: RUNS.provision },
      );
      expect(f.requests() - before).toBe(RUNS.provision);
    },
    TIMEOUT,
  );

  it(
    `POST /api/provisioning/validate: ${RUNS.validate} bad bodies get a verdict of invalid, or a 4xx for what is no JSON request`,
    async () => {
      const before = f.requests();
      await fc.assert(
        fc.asyncProperty(badProvisionBody(f.t.config.platform.baseDomain), contentType, async (body, type) => {
          const res = await f.send({ method: 'POST', path: '/api/provisioning/validate', body, headers: headers(type) });
          if (res.status === 200) {
            const verdict = JSON.parse(res.body) as { valid: boolean; errors: unknown[] };
            expect(verdict.valid, res.body).toBe(false);
            expect(verdict.errors.length).toBeGreaterThan(0);
          } else {
            expect(res.status).toBeGreaterThanOrEqual(400);
          }
          expect(f.sideEffects()).toEqual([]);
        }),
        { numRuns: RUNS.validate },
      );
      expect(f.requests() - before).toBe(RUNS.validate);
    },
    TIMEOUT,
  );

  it(
    `PUT /api/provisioning/{tenantId}: ${RUNS.update} bad updates, to an existing, unknown or malformed tenant, change nothing`,
    async () => {
      const before = f.requests();
      const tenant = fc.oneof({ weight: 3, arbitrary: fc.constant(TENANT) }, { weight: 1, arbitrary: unknownTenantId }, { weight: 1, arbitrary: badTenantId });
      await fc.assert(
        fc.asyncProperty(tenant, badUpdateBody(f.t.config.platform.baseDomain), contentType, async (tenantId, body, type) => {
          const res = await f.send({ method: 'PUT', path: `/api/provisioning/${encode(tenantId)}`, body, headers: headers(type) });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(f.sideEffects()).toEqual([]);
        }),
        { numRuns: RUNS.update },
      );
      expect(f.requests() - before).toBe(RUNS.update);
    },
    TIMEOUT,
  );
});
