import { describe, expect, it } from 'vitest';
import { certificateReadiness, type Certificate } from '../../../src/kubernetes/readiness.ts';
import { rolloutHealthy } from '../../../src/lifecycle/rollout-health.ts';
import { FakeRegistry, fakeWorkloads, readyCertificate, readyDatabase, readyDeployment } from '../api/support/fake-cluster.ts';

const ready = (observedGeneration?: number, status = 'True'): Certificate['status'] => ({
  conditions: [{ type: 'Ready', status, ...(observedGeneration === undefined ? {} : { observedGeneration }) }],
});

describe('certificateReadiness', () => {
  it('is ready on Ready=True about the current generation, or without a generation to compare', () => {
    expect(certificateReadiness(readyCertificate('t-tls', 3))).toEqual({ done: true, value: true });
    expect(certificateReadiness({ metadata: { name: 't-tls', generation: 3 }, status: ready() }).done).toBe(true);
  });
  it('is not ready when absent, not issued, Ready=False, or Ready=True left from an earlier generation', () => {
    expect(certificateReadiness(undefined)).toEqual({ done: false, reason: 'certificate not created yet' });
    expect(certificateReadiness({ metadata: { name: 't-tls', generation: 1 } })).toEqual({ done: false, reason: 't-tls not issued yet' });
    const failed = { type: 'Ready', status: 'False', reason: 'Failed', message: 'ACME order failed', observedGeneration: 1 };
    expect(certificateReadiness({ metadata: { name: 't-tls', generation: 1 }, status: { conditions: [failed] } })).toEqual({
      done: false,
      reason: 't-tls not ready: Failed (ACME order failed)',
    });
    expect(certificateReadiness({ metadata: { name: 't-tls', generation: 2 }, status: ready(1) })).toEqual({
      done: false,
      reason: 't-tls not re-issued for generation 2 yet',
    });
  });
});

describe('rolloutHealthy: the bake gate over one tenant', () => {
  const registry = new FakeRegistry();
  const tenant = registry.seed('acme', { customDomain: 'shop.acme.example' });
  const ns = tenant.namespace;

  /** A tenant whose database, serving slot (blue) and host certificate are all ready. */
  function healthyTenant() {
    const cluster = fakeWorkloads();
    cluster.databases.set(`${ns}/acme-postgres`, readyDatabase());
    for (const name of ['acme-api-blue', 'acme-web-blue']) cluster.deployments.set(`${ns}/${name}`, readyDeployment(name));
    cluster.certificates.set(`${ns}/acme-tls`, readyCertificate('acme-tls'));
    return cluster;
  }

  it("needs the tenant host's Certificate Ready for its current generation, beside database, API and Web", async () => {
    expect(await rolloutHealthy(healthyTenant(), tenant)).toBe(true);
    const missing = healthyTenant();
    missing.certificates.clear();
    expect(await rolloutHealthy(missing, tenant)).toBe(false);
    const failing = healthyTenant();
    failing.certificates.set(`${ns}/acme-tls`, { metadata: { name: 'acme-tls', generation: 1 }, status: ready(1, 'False') });
    expect(await rolloutHealthy(failing, tenant)).toBe(false);
    const stale = healthyTenant();
    stale.certificates.set(`${ns}/acme-tls`, { metadata: { name: 'acme-tls', generation: 2 }, status: ready(1) });
    expect(await rolloutHealthy(stale, tenant)).toBe(false);
  });

  it("does not let the custom domain's Certificate gate the rollout", async () => {
    const cluster = healthyTenant();
    cluster.certificates.set(`${ns}/acme-custom-domain-tls`, { metadata: { name: 'acme-custom-domain-tls', generation: 1 }, status: ready(1, 'False') });
    expect(await rolloutHealthy(cluster, tenant)).toBe(true);
  });

  it('still needs the certificate of a hibernated tenant, whose Ingress stays, but not its database', async () => {
    const asleep = { ...tenant, desired: { ...tenant.desired, hibernated: true } };
    const cluster = healthyTenant();
    cluster.databases.clear();
    expect(await rolloutHealthy(cluster, asleep)).toBe(true);
    cluster.certificates.clear();
    expect(await rolloutHealthy(cluster, asleep)).toBe(false);
  });
});
