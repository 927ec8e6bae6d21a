// Full walks of the tenant list: through `GET /api/tenants` and, as the baseline, the same
// label-selected namespace pages straight from the API server. Each page is timed.
import { MANAGED_BY, TENANT_LABELS } from '../../src/domain/tenant-record.ts';
import type { Kubernetes } from '../../src/kubernetes/kube-client.ts';
import { api, diffCounts, kubeRequestCounts, now, scrape, totalOf, type Service } from './env.ts';

export type PageWalks = {
  /** Page times by limit (ms), service and API server, over the timed passes. */
  service: Record<string, number[]>;
  bare: Record<string, number[]>;
  /** Tenants one service walk returned. */
  tenants: number;
  /** Pages the timed service walks fetched, and the Kubernetes requests the API process made for them. */
  servicePages: number;
  requests: number;
};

async function walkService(service: Service, limit: number, into: number[]): Promise<number> {
  let cursor: string | null = null;
  let n = 0;
  do {
    const t = now();
    const page: { status: number; body: { items: unknown[]; nextCursor: string | null } } = await api(
      service,
      `/api/tenants?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    into.push(now() - t);
    if (page.status !== 200) throw new Error(`GET /api/tenants: ${page.status} ${JSON.stringify(page.body)}`);
    n += page.body.items.length;
    cursor = page.body.nextCursor;
  } while (cursor);
  return n;
}

async function walkBare(kube: Kubernetes, limit: number, into: number[]): Promise<void> {
  const labelSelector = `${TENANT_LABELS.managedBy}=${MANAGED_BY}`;
  let token: string | undefined;
  do {
    const t = now();
    const page = await kube.core.listNamespace({ labelSelector, limit, _continue: token });
    into.push(now() - t);
    token = page.metadata?._continue || undefined;
  } while (token);
}

/**
 * `passes` full walks at each limit, alternating which side goes first; the first pass is a
 * warm-up and is not kept. The API process's request counter is read around its walks only.
 */
export async function walkTenantPages(service: Service, kube: Kubernetes, limits: readonly number[], passes = 3): Promise<PageWalks> {
  const out: PageWalks = { service: {}, bare: {}, tenants: 0, servicePages: 0, requests: 0 };
  for (let pass = 0; pass < passes; pass += 1) {
    for (const limit of limits) {
      const s: number[] = [];
      const b: number[] = [];
      const serviceWalk = async () => {
        const before = kubeRequestCounts(await scrape(service.metricsUrl));
        out.tenants = await walkService(service, limit, s);
        const made = totalOf(diffCounts(kubeRequestCounts(await scrape(service.metricsUrl)), before));
        if (pass > 0) {
          out.requests += made;
          out.servicePages += s.length;
        }
      };
      if (pass % 2 === 0) {
        await serviceWalk();
        await walkBare(kube, limit, b);
      } else {
        await walkBare(kube, limit, b);
        await serviceWalk();
      }
      if (pass > 0) {
        (out.service[`limit${limit}`] ??= []).push(...s);
        (out.bare[`limit${limit}`] ??= []).push(...b);
      }
    }
  }
  return out;
}
