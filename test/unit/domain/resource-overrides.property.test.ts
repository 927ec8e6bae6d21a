import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildChartValues, type ChartValuesInput } from '../../../src/domain/chart-values.ts';
import { ProvisionRequest, UpdateRequest } from '../../../src/domain/provision-request.ts';
import type { TierLimits } from '../../../src/domain/tiers.ts';

// Inline numbers keep this test pure (no config file read); the route test uses the shipped tiers.
const tier: TierLimits = {
  postgresInstances: 1,
  postgresStorageSize: '50Gi',
  postgres: { cpuRequest: '250m', cpuLimit: '1000m', memoryRequest: '512Mi', memoryLimit: '1Gi' },
  apiReplicas: 2,
  api: { cpuRequest: '250m', cpuLimit: '1000m', memoryRequest: '512Mi', memoryLimit: '1Gi' },
  webReplicas: 2,
  web: { cpuRequest: '100m', cpuLimit: '500m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
  mechanicLimit: 20,
  backupEnabled: false,
  expiresAfterDays: null,
  offboarding: { retentionSeconds: 0 },
};
const platform: ChartValuesInput['platform'] = {
  baseDomain: 'mechanicbuddy.app',
  clusterIssuer: 'letsencrypt-prod',
  images: {
    api: { repository: 'ghcr.io/mechanicbuddy/api', tag: '1.4.2' },
    web: { repository: 'ghcr.io/mechanicbuddy/web', tag: '1.4.2' },
    migrations: { repository: 'ghcr.io/mechanicbuddy/dbup', tag: '1.4.2' },
    postgres: { repository: 'ghcr.io/cloudnative-pg/postgresql', tag: '17.5' },
  },
};
const provision = {
  companyName: 'Acme Auto',
  ownerEmail: 'owner@acme.test',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'professional',
};

function builderAccepts(resourceOverrides: unknown): boolean {
  try {
    buildChartValues({
      platform,
      tierName: 'professional',
      tierLimits: tier,
      tenant: { tenantId: 'acme-auto', companyName: 'Acme Auto', expiresAt: null, resourceOverrides: resourceOverrides as never },
    });
    return true;
  } catch {
    return false;
  }
}

// Values near every bound, mostly of the right type: an object with one wrong-typed field is refused
// by both sides, so wrong types are rare enough that most runs exercise the bounds themselves.
const count = fc.oneof(
  { arbitrary: fc.integer({ min: -1, max: 22 }), weight: 8 },
  { arbitrary: fc.constantFrom(9, 10, 99, 100_000, 100_001, 2 ** 31), weight: 1 },
  { arbitrary: fc.double({ min: -1, max: 30, noNaN: true }), weight: 1 },
);
const sizeLike = fc.oneof(
  fc.constantFrom('20Gi', '1Mi', '999999Ti'),
  fc.constantFrom('1000000Gi', '0Gi', '01Gi', '250m', '2', '1.5Gi', '512Ki', '1Pi', 'big', '', '--set=x'),
);
const nameLike = fc.oneof(fc.constantFrom('fast-ssd', 'local-path', 'a.b'), fc.constantFrom('Fast', '-x', '', 'x'.repeat(254), 'ebs_gp3'));
const anything = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.constant([]));
const mostly = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ arbitrary, weight: 19 }, { arbitrary: anything, weight: 1 });
const Overrides = fc
  .tuple(
    fc.record(
      {
        postgresInstances: mostly(count),
        postgresStorageSize: mostly(sizeLike),
        apiReplicas: mostly(count),
        webReplicas: mostly(count),
        mechanicLimit: mostly(fc.oneof(count, fc.constant(null))),
        storageClass: mostly(nameLike),
      },
      { requiredKeys: [] },
    ),
    fc.oneof({ arbitrary: fc.constant({}), weight: 19 }, { arbitrary: fc.record({ colour: fc.string() }), weight: 1 }),
  )
  .map(([known, unknown]) => ({ ...known, ...unknown }));

describe('resource overrides: API accepts ⇔ values builder accepts', () => {
  it('agrees on random override objects, for provision and update bodies', () => {
    let accepted = 0;
    fc.assert(
      fc.property(Overrides, (resourceOverrides) => {
        const builder = builderAccepts(resourceOverrides);
        if (builder) accepted += 1;
        expect(ProvisionRequest.safeParse({ ...provision, resourceOverrides }).success).toBe(builder);
        expect(UpdateRequest.safeParse({ resourceOverrides }).success).toBe(builder);
      }),
      { numRuns: 2_000 },
    );
    // Both outcomes must occur often, or the property says little (about 5% are accepted: most
    // objects carry at least one value out of bounds).
    expect(accepted).toBeGreaterThan(40);
    expect(accepted).toBeLessThan(1_960);
  });
});
