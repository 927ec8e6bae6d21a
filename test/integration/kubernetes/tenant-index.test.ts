import { afterAll, describe, expect, inject, it } from 'vitest';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { NewTenant } from '../../../src/domain/tenant-record.ts';
import { createTenantFinder } from '../../../src/billing/tenant-finder.ts';
import { INDEXED_LABEL, TENANT_INDEX_LABELS } from '../../../src/kubernetes/tenant-index.ts';
import { createTenantStore } from '../../../src/kubernetes/tenant-store.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';
import { newTenant } from '../../support/new-tenant.ts';

// The lookup index against the sandbox's real API server: label selectors are the API server's.
const kubeconfig = inject('kubeconfig');
const admin = kubeClients(kubeconfig);
const prefix = `${uniqueName('idx')}-`;
const store = createTenantStore(admin.core, prefix);
const ids: string[] = [];

afterAll(async () => {
  for (const id of ids) await admin.core.deleteNamespace({ name: `${prefix}${id}` }).catch(() => undefined);
});

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function tenant(n: string, over: Partial<NewTenant> = {}) {
  const tenantId = `t${n}`;
  ids.push(tenantId);
  return store.create(newTenant(tenantId, over));
}

const found = async (...args: Parameters<typeof store.findBy>) => (await store.findBy(...args)).map((t) => t.tenantId).sort();
const labelsOf = async (tenantId: string) => (await admin.core.readNamespace({ name: `${prefix}${tenantId}` })).metadata?.labels ?? {};

describe('finding tenants by Stripe ids and custom domain with one label-selected list', () => {
  it('finds by each index, follows conditional writes, and clears a label with its value', async () => {
    const host = `${uniqueName('h')}.Example.com`;
    const a = await tenant('a', { stripeCustomerId: 'cus_A', stripeSubscriptionId: 'sub_A', customDomain: host });
    await tenant('b', { stripeCustomerId: 'cus_A' });
    expect(await found('stripeSubscriptionId', 'sub_A')).toEqual(['ta']);
    expect(await found('stripeCustomerId', 'cus_A')).toEqual(['ta', 'tb']);
    expect(await found('customDomain', host.toLowerCase())).toEqual(['ta']);
    expect(await found('stripeCustomerId', 'cus_a')).toEqual([]);

    const finder = createTenantFinder(store);
    expect((await finder('cus_A', 'sub_A'))?.tenantId).toBe('ta');
    // A first payment: the customer's oldest tenant without a subscription.
    expect((await finder('cus_A', 'sub_new'))?.tenantId).toBe('tb');

    const { resourceVersion } = (await store.read(a.tenantId))!;
    const rv = await store.write(a.tenantId, resourceVersion, {
      desired: { ...a.desired, customDomain: null },
      stripe: { customerId: 'cus_Z', subscriptionId: null },
    });
    expect(await found('customDomain', host)).toEqual([]);
    expect(await found('stripeSubscriptionId', 'sub_A')).toEqual([]);
    expect(await found('stripeCustomerId', 'cus_Z')).toEqual(['ta']);
    const labels = await labelsOf(a.tenantId);
    expect(labels[TENANT_INDEX_LABELS.customDomain]).toBeUndefined();
    expect(labels[TENANT_INDEX_LABELS.stripeSubscriptionId]).toBeUndefined();
    // A stale writer loses, and with it its labels.
    await expect(store.write(a.tenantId, resourceVersion, { stripe: { customerId: 'cus_stale', subscriptionId: 'sub_stale' } })).rejects.toThrow();
    expect(await found('stripeCustomerId', 'cus_stale')).toEqual([]);
    expect(rv).not.toBe(resourceVersion);
  });

  it('still finds a tenant whose namespace predates the index, and the backfill labels it once', async () => {
    const old = await tenant('old', { stripeCustomerId: 'cus_old', stripeSubscriptionId: 'sub_old' });
    // As an earlier version made it: no index labels at all.
    const strip = Object.fromEntries([...Object.values(TENANT_INDEX_LABELS), INDEXED_LABEL].map((l) => [l, null]));
    await admin.core.patchNamespace({ name: old.namespace, body: { metadata: { labels: strip } } }, mergePatch);
    expect(await labelsOf(old.tenantId)).not.toHaveProperty(INDEXED_LABEL);

    expect(await found('stripeSubscriptionId', 'sub_old')).toEqual(['told']);
    expect(await found('stripeCustomerId', 'cus_other')).toEqual([]);

    expect(await store.backfillIndex()).toBeGreaterThanOrEqual(1);
    const labels = await labelsOf(old.tenantId);
    expect(labels[INDEXED_LABEL]).toBe('v1');
    expect(labels[TENANT_INDEX_LABELS.stripeSubscriptionId]).toMatch(/^[a-f0-9]{40}$/);
    expect(await found('stripeSubscriptionId', 'sub_old')).toEqual(['told']);
    // Nothing of this installation is left unlabelled: the next sweep's backfill lists nothing.
    expect(await store.backfillIndex()).toBe(0);
  });
});
