import { ListWatch, type V1Namespace } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { TenantRecord } from '../domain/tenant-record.ts';
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
  const { store, logger } = options;
  const firstRestartMs = options.restartMs ?? 1_000;
  const informer = new ListWatch<V1Namespace>(
    '/api/v1/namespaces',
    kube.watch,
    () => kube.core.listNamespace({ labelSelector: MANAGED_NAMESPACES }),
    false,
    MANAGED_NAMESPACES,
  );
  let followingSince: number | undefined;
  let lastErrorAt = 0;
  let restartMs = firstRestartMs;
  let stopped = false;
  let restart: NodeJS.Timeout | undefined;

  const start = async () => {
    const startedAt = Date.now();
    try {
      await informer.start();
      // ListWatch reports a failed list through its error callbacks and still resolves.
      if (lastErrorAt < startedAt && !stopped) {
        followingSince = Date.now();
        restartMs = firstRestartMs;
      }
    } catch (error) {
      failed(error);
    }
  };
  const failed = (error: unknown) => {
    lastErrorAt = Date.now();
    if (followingSince !== undefined) logger.warn({ err: error }, 'tenant cache: the namespace watch failed; sweeps list pages until it is back');
    followingSince = undefined;
    if (stopped || restart) return;
    restart = setTimeout(() => {
      restart = undefined;
      void start();
    }, restartMs);
    restart.unref();
    restartMs = Math.min(restartMs * 2, 30_000);
  };
  informer.on('error', failed);
  void start();

  const ownedHere = (t: TenantRecord) => t.namespace === store.namespaceOf(t.tenantId);

  return {
    following: () => followingSince !== undefined,
    async *all(query = {}) {
      if (followingSince === undefined) {
        yield* store.all(query);
        return;
      }
      const tenants = informer
        .list()
        .map(toTenantRecord)
        .filter((t): t is TenantRecord => t !== undefined && ownedHere(t) && (!query.tier || t.tier === query.tier))
        // The order a paged list gives (by name), so a sweep's order does not depend on the source.
        .sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
      yield* tenants;
    },
    async stop() {
      stopped = true;
      clearTimeout(restart);
      followingSince = undefined;
      await informer.stop();
    },
  };
}
