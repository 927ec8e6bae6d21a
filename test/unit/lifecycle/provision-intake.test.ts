import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { ValidationError } from '../../../src/domain/errors.ts';
import { requestProvision } from '../../../src/lifecycle/provision-intake.ts';
import { FakeIntents } from '../worker/support/fake-intents.ts';

const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const request = { companyName: 'Acme', ownerEmail: 'o@example.com', ownerFirstName: 'Ada', ownerLastName: 'Lovelace', subscriptionTier: 'free' as const };

function setup() {
  const tenants = new FakeIntents();
  const queued: string[] = [];
  const claims = new Map<string, string>();
  const deps = {
    config,
    tenants,
    producer: { enqueue: async (_name: string, _payload: unknown, jobId: string) => (queued.push(jobId), jobId) },
    claims: {
      claim: async (host: string, tenantId: string) => {
        const owner = claims.get(host);
        if (owner && owner !== tenantId) return { ownedBy: owner };
        claims.set(host, tenantId);
        return owner ? ('already-yours' as const) : ('claimed' as const);
      },
      release: async (host: string, tenantId: string) => (claims.get(host) === tenantId && claims.delete(host) ? ('released' as const) : ('absent' as const)),
    },
  };
  return { deps, tenants, queued, claims };
}

describe('the provision intake', () => {
  it('refuses an id that shadows a platform host whatever the source (billing has no HTTP schema)', async () => {
    const { deps, tenants, queued } = setup();
    await expect(requestProvision(deps, { ...request, tenantId: 'www' }, { tenantId: 'www', jobId: 'p-1' }, 'billing')).rejects.toBeInstanceOf(ValidationError);
    expect(tenants.tenants.size).toBe(0);
    expect(queued).toEqual([]);
  });

  it('is idempotent per plan: the same plan again finds its own namespace and queues the same job', async () => {
    const { deps, tenants, queued } = setup();
    const plan = { tenantId: 'acme-abc123', jobId: 'p-1' };
    const first = await requestProvision(deps, request, plan);
    const again = await requestProvision(deps, request, plan);
    expect([first.replayed, again.replayed]).toEqual([false, true]);
    expect(tenants.tenants.size).toBe(1);
    expect(queued).toEqual(['p-1', 'p-1']);
    await expect(requestProvision(deps, request, { tenantId: 'acme-abc123', jobId: 'p-2' })).rejects.toThrow(/already exists/);
  });

  it('claims the custom domain first and gives it back when the tenant cannot be recorded or queued', async () => {
    const { deps, claims } = setup();
    await requestProvision(deps, { ...request, customDomain: 'shop.example.com' }, { tenantId: 'one-aaaaaa', jobId: 'p-1' });
    await expect(requestProvision(deps, { ...request, customDomain: 'shop.example.com' }, { tenantId: 'two-bbbbbb', jobId: 'p-2' })).rejects.toThrow(
      /already used by tenant one-aaaaaa/,
    );
    deps.producer.enqueue = async () => {
      throw new Error('Connection is closed.');
    };
    await expect(requestProvision(deps, { ...request, customDomain: 'other.example.com' }, { tenantId: 'three-cccccc', jobId: 'p-3' })).rejects.toThrow(
      /closed/,
    );
    expect([...claims.entries()]).toEqual([['shop.example.com', 'one-aaaaaa']]);
  });
});
