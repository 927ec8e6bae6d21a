import { setTimeout as sleep } from 'node:timers/promises';
import type { TenantList } from '../../../../src/services/tenant-listing.ts';

type Api = { baseUrl: string; token: string };

/** The tenants whose namespace carries `prefix`: the ones this service (its own namespacePrefix) created. */
export async function tenantsWithPrefix(api: Api, prefix: string): Promise<TenantList['items']> {
  const found: TenantList['items'] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const res = await fetch(`${api.baseUrl}/api/tenants?limit=500${query}`, { headers: { Authorization: `Bearer ${api.token}` } });
    if (!res.ok) throw new Error(`GET /api/tenants: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as TenantList;
    found.push(...page.items.filter((t) => t.namespace.startsWith(prefix)));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return found;
}

/**
 * Deprovisions, through the service itself, every tenant the run created, and waits until their
 * namespaces are gone. A tenant whose provision is still running answers 409 for a while: asked again.
 */
export async function removeTenants(api: Api, prefix: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await tenantsWithPrefix(api, prefix);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`tenants still present after ${timeoutMs} ms: ${left.map((t) => `${t.tenantId} (${t.phase})`).join(', ')}`);
    for (const tenant of left.filter((t) => t.phase !== 'deprovisioning')) {
      await fetch(`${api.baseUrl}/api/provisioning/${tenant.tenantId}/deprovision`, { method: 'POST', headers: { Authorization: `Bearer ${api.token}` } });
    }
    await sleep(2_000);
  }
}
