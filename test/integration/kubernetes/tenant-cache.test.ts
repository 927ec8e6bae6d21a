import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { NewTenant } from '../../../src/domain/tenant-record.ts';
import { createKubernetes } from '../../../src/kubernetes/kube-client.ts';
import { watchTenants, type TenantCache } from '../../../src/kubernetes/tenant-cache.ts';
import { createTenantStore } from '../../../src/kubernetes/tenant-store.ts';
import type { KubeRequestObservation } from '../../../src/observability/kube-request.ts';
import { freePort } from '../../sandbox/ports.ts';
import { eventually, uniqueName } from '../../support/kube.ts';
import { newTenant } from '../../support/new-tenant.ts';

// The sweeps' tenant cache against the sandbox's real API server: a real list and watch.
const kubeconfig = inject('kubeconfig');
const requests: KubeRequestObservation[] = [];
const kube = createKubernetes({ source: 'kubeconfig', kubeconfig }, { observe: (r) => requests.push(r) });
const prefix = `${uniqueName('tc')}-`;
const store = createTenantStore(kube.core, prefix);
const logger = pino({ level: 'silent' });
const caches: TenantCache[] = [];
const ids: string[] = [];

afterAll(async () => {
  for (const cache of caches) await cache.stop();
  for (const id of ids) await kube.core.deleteNamespace({ name: `${prefix}${id}` }).catch(() => undefined);
});

function tenant(n: string, tier: 'free' | 'professional' = 'free'): NewTenant {
  ids.push(n);
  return newTenant(n, { tier });
}

const collect = async (cache: TenantCache, query?: Parameters<TenantCache['all']>[0]) => {
  const out = [];
  for await (const t of cache.all(query)) out.push(t);
  return out;
};
const namespaceLists = () => requests.filter((r) => r.verb === 'list' && r.resource === 'namespaces').length;

describe("the sweeps' tenant cache (one list, then a watch of the managed namespaces)", () => {
  it('follows creates, changes and deletes, and a walk over it makes no request', async () => {
    const cache = watchTenants(kube, { store, logger });
    caches.push(cache);
    await eventually('the cache follows the API server', async () => cache.following() || undefined);
    const a = await store.create(tenant('a'));
    await store.create(tenant('b', 'professional'));
    const names = async () => (await collect(cache)).map((t) => t.tenantId).join(',');
    await eventually('both tenants in the cache', async () => ((await names()) === 'a,b' ? true : undefined));
    expect((await collect(cache, { tier: 'professional' })).map((t) => t.tenantId)).toEqual(['b']);

    const { resourceVersion } = (await store.read('a'))!;
    await store.write('a', resourceVersion, { desired: { ...a.desired, tier: 'professional' } });
    await eventually('the tier change in the cache', async () => ((await collect(cache, { tier: 'professional' })).length === 2 ? true : undefined));

    const before = namespaceLists();
    for (let i = 0; i < 20; i++) await collect(cache);
    expect(namespaceLists()).toBe(before);

    await kube.core.deleteNamespace({ name: store.namespaceOf('b') });
    await eventually('the deleted tenant gone or terminating', async () =>
      (await collect(cache)).every((t) => t.tenantId !== 'b' || t.terminating) ? true : undefined,
    );
  });

  it('lists pages from the API server while its watch cannot run, instead of answering from nothing', async () => {
    // A client of an address where nothing listens: the list and the watch fail; the store still works.
    const dead = join(mkdtempSync(join(tmpdir(), 'tp-dead-kube-')), 'kubeconfig');
    writeFileSync(dead, readFileSync(kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${await freePort()}`));
    const cache = watchTenants(createKubernetes({ source: 'kubeconfig', kubeconfig: dead }), { store, logger, restartMs: 50 });
    caches.push(cache);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(cache.following()).toBe(false);
    await store.create(tenant('c'));
    expect((await collect(cache)).map((t) => t.tenantId)).toContain('c');
  });
});
