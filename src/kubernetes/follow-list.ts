import { ListWatch, type KubernetesListObject, type KubernetesObject, type Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Kubernetes } from './kube-client.ts';
import { isForbidden } from './kube-errors.ts';

/** A list kept current by one watch (an informer), trusted only while it follows the API server. */
export type FollowedList<T extends KubernetesObject> = {
  /** True while listed, the watch established and no error since. */
  following(): boolean;
  /** The objects as last heard; only meaningful while `following()`. */
  list(): readonly T[];
  get(namespace: string, name: string): T | undefined;
  stop(): Promise<void>;
};

export type FollowOptions<T extends KubernetesObject> = {
  /** The collection's path, e.g. /apis/apps/v1/deployments (cluster-wide) or /api/v1/namespaces. */
  path: string;
  labelSelector: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** Names the collection in the two log lines this writes. */
  what: string;
  logger: Logger;
  /** First pause before a watch that failed is started again; doubles up to 30 s. */
  restartMs?: number;
  /**
   * What of each object to keep, listed or watched: the parts its readers use. Must keep
   * metadata.name, namespace and resourceVersion, which the informer files objects by.
   */
  keep?: (object: T) => T;
};

/**
 * One list, then one watch, restarted with a backoff when it fails. A caller reads it only while
 * it follows and goes to the API server otherwise, so a stale cache is never taken for the cluster.
 * A 403 (RBAC that withholds the list) is logged once: the caller's direct reads then serve.
 */
export function followList<T extends KubernetesObject>(kube: Pick<Kubernetes, 'watch'>, options: FollowOptions<T>): FollowedList<T> {
  const { logger, what, keep } = options;
  const firstRestartMs = options.restartMs ?? 1_000;
  const list = keep
    ? async () => {
        const listed = await options.list();
        return { ...listed, items: listed.items.map(keep) };
      }
    : options.list;
  const informer = new ListWatch<T>(options.path, keep ? keptWatch(kube.watch, keep) : kube.watch, list, false, options.labelSelector);
  let followingSince: number | undefined;
  let lastErrorAt = 0;
  let restartMs = firstRestartMs;
  let stopped = false;
  let forbiddenLogged = false;
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
    if (isForbidden(error) && !forbiddenLogged) {
      forbiddenLogged = true;
      logger.info({ what }, `${what}: not permitted to list and watch; reading per object instead`);
    } else if (followingSince !== undefined) logger.warn({ err: error, what }, `${what}: the watch failed; reading per object until it is back`);
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

  return {
    following: () => followingSince !== undefined,
    list: () => informer.list(),
    get: (namespace, name) => informer.get(name, namespace),
    async stop() {
      stopped = true;
      clearTimeout(restart);
      followingSince = undefined;
      await informer.stop();
    },
  };
}

/**
 * A Watch that hands the informer only what `keep` keeps of each added, modified or deleted object;
 * errors and bookmarks pass as they came (the informer reads a Status' code and a bookmark's
 * resourceVersion from them).
 */
function keptWatch<T extends KubernetesObject>(watch: Watch, keep: (object: T) => T): Watch {
  const kept: Pick<Watch, 'watch'> = {
    watch: (path, query, callback, done) =>
      watch.watch(path, query, (phase, object, raw) => callback(phase, phase === 'ERROR' || phase === 'BOOKMARK' ? object : keep(object as T), raw), done),
  };
  return kept as Watch;
}
