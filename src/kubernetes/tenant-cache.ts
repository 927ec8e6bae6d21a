import type { V1Namespace } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { TenantRecord } from '../domain/tenant-record.ts';
import { followList } from './follow-list.ts';
import type { Kubernetes } from './kube-client.ts';
import { toTenantRecord } from './tenant-record-codec.ts';
import { MANAGED_NAMESPACES, type TenantStore } from './tenant-store.ts';

/** The tenants as a watch keeps them: what the sweeps walk instead of listing every namespace each run. */
export type TenantCache = Pick<TenantStore, 'all'> & {
  /** True while the cache follows the API server (listed, watch established, no error since). */
  following(): boolean;
  stop(): Promise<void>;
};

export type TenantCacheOptions = {
  /** The store the cache stands in for: its prefix decides which tenants are this installation's, and its paged list serves while the cache cannot. */
  store: Pick<TenantStore, 'all' | 'namespaceOf'>;
  logger: Logger;
  /** First pause before a watch that failed is started again; doubles up to 30 s. */
  restartMs?: number;
};

/**
 * One list and then one watch of the managed namespaces (an informer), so a sweep over 1,000
 * tenants makes no request to find them. Sweeps only nominate: every change is decided again by the
 * lifecycle intake on the tenant as it is then, so a cache a moment behind costs nothing but a
 * request answered "nothing to do". While the watch is down (an API server restart, an error) the
 * cache is not trusted and `all` reads pages from the API server as before, until the watch is back.
 */
export function watchTenants(kube: Pick<Kubernetes, 'core' | 'watch'>, options: TenantCacheOptions): TenantCache {
  const { store } = options;
  const namespaces = followList<V1Namespace>(kube, {
    path: '/api/v1/namespaces',
    labelSelector: MANAGED_NAMESPACES,
    list: () => kube.core.listNamespace({ labelSelector: MANAGED_NAMESPACES }),
    what: 'tenant cache',
    logger: options.logger,
    ...(options.restartMs === undefined ? {} : { restartMs: options.restartMs }),
  });
  const ownedHere = (t: TenantRecord) => t.namespace === store.namespaceOf(t.tenantId);

  return {
    following: namespaces.following,
    async *all(query = {}) {
      if (!namespaces.following()) {
        yield* store.all(query);
        return;
      }
      const tenants = namespaces
        .list()
        .map(toTenantRecord)
        .filter((t): t is TenantRecord => t !== undefined && ownedHere(t) && (!query.tier || t.tier === query.tier))
        // The order a paged list gives (by name), so a sweep's order does not depend on the source.
        .sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
      yield* tenants;
    },
    stop: namespaces.stop,
  };
}
