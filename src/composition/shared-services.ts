import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/config.schema.ts';
import { createHelmClient } from '../helm/helm-client.ts';
import { createJobHistory } from '../jobs/job-history.ts';
import { createDomainClaims } from '../kubernetes/domain-claims.ts';
import { createKubernetes } from '../kubernetes/kube-client.ts';
import { createTenantStore } from '../kubernetes/tenant-store.ts';
import { createTenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import type { Releasers } from './releasers.ts';

/** Workers and subscribers wait out a Redis restart. */
export const DURABLE_REDIS: RedisOptions = { maxRetriesPerRequest: null };
/**
 * The tenant leases' connection: every command times out within a third of the lease TTL (the
 * renewal interval), so a hung acquire, guard or renewal fails rather than outliving the lease.
 */
export const leaseRedisOptions = (ttlMs: number): RedisOptions => ({ maxRetriesPerRequest: null, commandTimeout: Math.max(100, Math.floor(ttlMs / 3)) });
/** The API's producer fails fast, so intake can answer 503 within its deadline. */
export const FAIL_FAST_REDIS: RedisOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 };

/** What both the API and the worker use, built once per process. */
export function createSharedServices(config: Config, env: NodeJS.ProcessEnv, releasers: Releasers) {
  const logger = createLogger(config.logging);
  const metrics: Metrics = createMetrics();
  const kube = createKubernetes(config.kubernetes, { observe: metrics.kubernetesRequest, requestTimeoutMs: config.timeouts.kubernetesRequest * 1000 });
  const registry = createTenantStore(kube.core, config.platform.namespacePrefix, {
    clients: { rbac: kube.rbac, authorization: kube.authorization },
    tenantAccess: config.platform.tenantAccess,
  });
  const workloads = createTenantWorkloads(kube);
  const claims = createDomainClaims(kube.core, { namespace: config.platform.claimsNamespace, tenantNamespace: registry.namespaceOf });
  const helm = createHelmClient({
    binary: config.helm.binary,
    kubeconfig: config.kubernetes.source === 'kubeconfig' ? config.kubernetes.kubeconfig : undefined,
    killGraceMs: config.helm.killGraceSeconds * 1000,
    onInvoke: metrics.helmInvoked,
    env,
  });
  const historyRedis = new Redis(config.redis.url, DURABLE_REDIS);
  historyRedis.on('error', (error) => logger.warn({ err: error.message }, 'redis (history) connection error'));
  releasers.add('history redis', () => historyRedis.quit());
  const history = createJobHistory(historyRedis, { prefix: config.queue.prefix });
  return { config, logger, metrics, kube, registry, claims, workloads, helm, historyRedis, history };
}
export type SharedServices = ReturnType<typeof createSharedServices>;
