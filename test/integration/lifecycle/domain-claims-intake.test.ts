import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChangeRejectedError } from '../../../src/domain/errors.ts';
import { createDomainClaims } from '../../../src/kubernetes/domain-claims.ts';
import { requestUpdate, type LifecycleDeps } from '../../../src/lifecycle/intake.ts';
import { testConfig } from '../../support/service-deps.ts';
import { lifecycleDeps } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const config = testConfig({ kubeconfig, redisUrl: inject('redisUrl') });
// Intake only: no job is run, so no worker.
const harness = useWorkerHarness({ kubeconfig, config, workers: 0 });
const { created } = harness;
let lifecycle: LifecycleDeps;
const hosts: Array<[string, string]> = [];

async function tenant(prefix: string) {
  const { deps } = harness;
  const tenantId = `${prefix}-${randomBytes(3).toString('hex')}`;
  created.push(tenantId);
  await deps.registry.create({
    tenantId,
    companyName: 'Claims',
    ownerEmail: 'o@example.com',
    ownerName: 'Ada',
    customDomain: null,
    stripeCustomerId: null,
    stripeSubscriptionId: null,
    expiresAt: null,
    desired: { tier: 'free', customDomain: null, resourceOverrides: {}, hibernated: false },
    operation: { type: 'provision', jobId: randomUUID(), state: 'completed', at: new Date().toISOString() },
  });
  return tenantId;
}

beforeAll(() => {
  const { deps } = harness;
  const claims = createDomainClaims(deps.kube.core, { namespace: config.platform.claimsNamespace, tenantNamespace: deps.registry.namespaceOf });
  lifecycle = { ...lifecycleDeps(deps), claims };
});

afterAll(async () => {
  // Before the harness's own afterAll (hooks run as a stack): the claims go before their tenants.
  for (const [host, owner] of hosts) await lifecycle.claims?.release(host, owner).catch(() => undefined);
});

/** Finding 8: uniqueness was a scan before the write (check-then-act), so two updates at once both won. */
describe('two tenants asking for one custom domain at the same time', () => {
  it('exactly one gets it, every round; the loser changes nothing', async () => {
    const { deps } = harness;
    for (let round = 0; round < 5; round++) {
      const host = `shop-${randomBytes(4).toString('hex')}.customer.example`;
      const [a, b] = await Promise.all([tenant('dca'), tenant('dcb')]);
      const outcomes = await Promise.allSettled([a, b].map((id) => requestUpdate(lifecycle, id, { customDomain: host })));
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [[a, b][i]!] : []));
      expect(won, `round ${round}`).toHaveLength(1);
      hosts.push([host, won[0]!]);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ChangeRejectedError);
      const loser = won[0] === a ? b : a;
      expect((await deps.registry.get(loser))?.desired.customDomain).toBeNull();
      expect((await deps.registry.get(won[0]!))?.desired.customDomain).toBe(host);
    }
  });

  it('a host given up by one tenant can be taken by another', async () => {
    const { deps } = harness;
    const host = `move-${randomBytes(4).toString('hex')}.customer.example`;
    const [a, b] = [await tenant('dcm'), await tenant('dcn')];
    await requestUpdate(lifecycle, a, { customDomain: host });
    await expect(requestUpdate(lifecycle, b, { customDomain: host })).rejects.toBeInstanceOf(ChangeRejectedError);
    await requestUpdate(lifecycle, a, { customDomain: null });
    await requestUpdate(lifecycle, b, { customDomain: host });
    hosts.push([host, b]);
    expect((await deps.registry.get(b))?.desired.customDomain).toBe(host);
  });
});
