import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MANAGED_BY, TENANT_LABELS } from '../../../src/domain/tenant-record.ts';
import { createKubernetes } from '../../../src/kubernetes/kube-client.ts';
import { claimName, createDomainClaims, type ClaimOutcome, type DomainClaims } from '../../../src/kubernetes/domain-claims.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';

// Custom-domain claims against the sandbox's real API server: the API server's create is the only
// arbiter, so racing claimers are real concurrent requests, not an interleaving we chose.
const kubeconfig = inject('kubeconfig');
const admin = kubeClients(kubeconfig);
const namespace = uniqueName('claims');
const tenantPrefix = `${uniqueName('claimt')}-`;
const tenantNamespace = (tenantId: string) => `${tenantPrefix}${tenantId}`;
const ROUNDS = 20;
const CLAIMERS = 20;

// Several clients, as several API and worker replicas would be; each claimer picks one.
const clients = Array.from({ length: 4 }, () => createKubernetes({ source: 'kubeconfig', kubeconfig }).core);
const claimsOn = (i: number, orphanAfterMs?: number): DomainClaims =>
  createDomainClaims(clients[i % clients.length]!, { namespace, tenantNamespace, orphanAfterMs });
const claims = claimsOn(0);
const host = (label: string) => `${label}-${uniqueName('h')}.example.com`;

beforeAll(async () => {
  await admin.core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  const all = await admin.core.listNamespace();
  for (const name of all.items.map((n) => n.metadata!.name!).filter((n) => n === namespace || n.startsWith(tenantPrefix))) {
    await admin.core.deleteNamespace({ name }).catch(() => undefined);
  }
});

const winners = (outcomes: ClaimOutcome[]) => outcomes.filter((o) => o === 'claimed').length;

describe('custom-domain claims on the real API server', () => {
  it(`gives a host to exactly one of ${CLAIMERS} tenants claiming it at once, ${ROUNDS} rounds, in any spelling`, async () => {
    const spellings = (h: string) => [h, h.toUpperCase(), `${h}.`, `${h[0]!.toUpperCase()}${h.slice(1)}.`];
    for (let round = 0; round < ROUNDS; round++) {
      const h = host(`race${round}`);
      const tenants = Array.from({ length: CLAIMERS }, (_, i) => `race-${round}-${i}`);
      const outcomes = await Promise.all(tenants.map((t, i) => claimsOn(i).claim(spellings(h)[i % 4]!, t)));
      expect(winners(outcomes), JSON.stringify(outcomes)).toBe(1);
      const winner = tenants[outcomes.indexOf('claimed')]!;
      expect(outcomes.filter((o) => o !== 'claimed')).toEqual(Array(CLAIMERS - 1).fill({ ownedBy: winner }));
      expect(await claims.owner(h)).toBe(winner);
    }
  }, 120_000);

  it('treats case and a trailing dot as the same host, and stores the claim as documented', async () => {
    const h = host('case');
    expect(await claims.claim(`${h.toUpperCase()}.`, 'alpha')).toBe('claimed');
    expect(await claims.claim(h, 'alpha')).toBe('already-yours');
    expect(await claims.claim(`${h}.`, 'beta')).toEqual({ ownedBy: 'alpha' });
    expect(await claims.owner(h.toUpperCase())).toBe('alpha');
    const cm = await admin.core.readNamespacedConfigMap({ namespace, name: claimName(h) });
    expect(cm.metadata?.labels).toMatchObject({ [TENANT_LABELS.managedBy]: MANAGED_BY, [TENANT_LABELS.tenantId]: 'alpha' });
    expect(cm.data).toMatchObject({ host: h, tenantId: 'alpha' });
    expect(await claims.owner(host('unclaimed'))).toBeUndefined();
  });

  it('is released only by its owner, idempotently, and is then free', async () => {
    const h = host('release');
    await claims.claim(h, 'alpha');
    expect(await claims.release(h, 'beta')).toEqual({ ownedBy: 'alpha' });
    expect(await claims.owner(h)).toBe('alpha');
    expect(await claims.release(`${h.toUpperCase()}.`, 'alpha')).toBe('released');
    expect(await claims.release(h, 'alpha')).toBe('absent');
    expect(await claims.owner(h)).toBeUndefined();
    expect(await claims.claim(h, 'beta')).toBe('claimed');
  });

  it("is taken over when its tenant's namespace is gone, in place and by one tenant only; a live or newborn owner keeps it", async () => {
    const live = 'live';
    await admin.core.createNamespace({ body: { metadata: { name: tenantNamespace(live) } } });
    const lenient = claimsOn(1, 0);
    const liveHost = host('live');
    await claims.claim(liveHost, live);
    expect(await lenient.claim(liveHost, 'beta')).toEqual({ ownedBy: live });

    // A claim without a namespace is a provision between its claim and its namespace: kept while young.
    const orphanHost = host('orphan');
    await claims.claim(orphanHost, 'gone');
    expect(await claims.claim(orphanHost, 'beta')).toEqual({ ownedBy: 'gone' });
    const before = await admin.core.readNamespacedConfigMap({ namespace, name: claimName(orphanHost) });

    for (let round = 0; round < ROUNDS; round++) {
      // This round's heirs are alive (their namespace is the live one), earlier rounds' are gone: the
      // claim starts each round as an orphan, and a heir that wins it this round keeps it.
      const alive = (t: string) => (t.startsWith(`heir-${round}-`) ? tenantNamespace(live) : tenantNamespace(t));
      const tenants = Array.from({ length: CLAIMERS }, (_, i) => `heir-${round}-${i}`);
      const outcomes = await Promise.all(
        tenants.map((t, i) => createDomainClaims(clients[i % clients.length]!, { namespace, tenantNamespace: alive, orphanAfterMs: 0 }).claim(orphanHost, t)),
      );
      expect(winners(outcomes), JSON.stringify(outcomes)).toBe(1);
      const winner = tenants[outcomes.indexOf('claimed')]!;
      expect(outcomes.filter((o) => o !== 'claimed')).toEqual(Array(CLAIMERS - 1).fill({ ownedBy: winner }));
      expect(await claims.owner(orphanHost)).toBe(winner);
    }
    const after = await admin.core.readNamespacedConfigMap({ namespace, name: claimName(orphanHost) });
    // Updated, never deleted and re-created: there was no instant at which the host was free.
    expect(after.metadata?.uid).toBe(before.metadata?.uid);
    expect(after.metadata?.labels?.[TENANT_LABELS.tenantId]).toBe(after.data?.['tenantId']);
  }, 120_000);

  it("never lets an old owner's release remove a claim taken over from it in the meantime", async () => {
    // Deterministic: the old owner's release has read its claim and its delete is held back until
    // the heir has taken the claim over; then the delete reaches the API server.
    const h = host('handover');
    await claims.claim(h, 'gone');
    let reachedDelete!: () => void;
    const atDelete = new Promise<void>((resolve) => (reachedDelete = resolve));
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const held = new Proxy(clients[1]!, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        if (key !== 'deleteNamespacedConfigMap') return value.bind(target);
        return async (...args: unknown[]) => {
          reachedDelete();
          await gate;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const releasing = createDomainClaims(held, { namespace, tenantNamespace }).release(h, 'gone');
    await atDelete;
    expect(await claimsOn(2, 0).claim(h, 'heir')).toBe('claimed');
    openGate();
    expect(await releasing).toEqual({ ownedBy: 'heir' });
    expect(await claims.owner(h)).toBe('heir');

    // And racing for real, many times.
    for (let round = 0; round < ROUNDS; round++) {
      const h = host(`handover${round}`);
      await claims.claim(h, 'gone');
      const [taken, released] = await Promise.all([claimsOn(round, 0).claim(h, 'heir'), claimsOn(round + 1).release(h, 'gone')]);
      // Either order is fine; what must never happen is an heir told 'claimed' whose claim is gone.
      expect(taken, JSON.stringify({ taken, released })).toBe('claimed');
      expect(await claims.owner(h)).toBe('heir');
      expect(released === 'released' || (typeof released === 'object' && released.ownedBy === 'heir')).toBe(true);
    }
  }, 120_000);
});
