import type { Config } from '../config/config.schema.ts';
import { createHelmClient } from '../helm/helm-client.ts';
import { createJobHistory } from '../jobs/job-history.ts';
import { createDomainClaims } from '../kubernetes/domain-claims.ts';
import { createRolloutStore } from '../kubernetes/rollout-store.ts';
import { createKubernetes } from '../kubernetes/kube-client.ts';
import { createTenantStore } from '../kubernetes/tenant-store.ts';
import { createTenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { redisConnection } from './redis-connections.ts';
import { createOutages, observeKube, redisWriteProbe, reportRedis } from './outages.ts';
import type { Releasers } from './releasers.ts';

/** What both the API and the worker use, built once per process. */
export function createSharedServices(config: Config, env: NodeJS.ProcessEnv, releasers: Releasers) {
  const logger = createLogger(config.logging);
  const metrics: Metrics = createMetrics();
  // One reporter per dependency for every listener of the process; the checks use the clients built next.
  const outages = createOutages(
    {
      logger,
      metrics,
      probes: { redis: () => redisCheck(), kubernetes: () => kube.version.getCode() },
    },
    releasers,
  );
  const kube = createKubernetes(config.kubernetes, {
    observe: observeKube(metrics, outages.kubernetes),
    requestTimeoutMs: config.timeouts.kubernetesRequest * 1000,
  });
  releasers.add('kubernetes connections', () => kube.close());
  const registry = createTenantStore(kube.core, config.platform.namespacePrefix, {
    clients: { rbac: kube.rbac, authorization: kube.authorization },
    tenantAccess: config.platform.tenantAccess,
  });
  const workloads = createTenantWorkloads(kube);
  const claims = createDomainClaims(kube.core, { namespace: config.platform.claimsNamespace, tenantNamespace: registry.namespaceOf });
  const rollouts = createRolloutStore(kube.core, config.platform.claimsNamespace, config.platform.namespacePrefix);
  const helm = createHelmClient({
    binary: config.helm.binary,
    kubeconfig: config.kubernetes.source === 'kubeconfig' ? config.kubernetes.kubeconfig : undefined,
    killGraceMs: config.helm.killGraceSeconds * 1000,
    onInvoke: metrics.helmInvoked,
    env,
  });
  const historyRedis = redisConnection(config.redis, 'durable');
  reportRedis(historyRedis, 'redis (history)', outages.redis);
  releasers.add('history redis', () => historyRedis.quit());
  const redisCheck = redisWriteProbe(historyRedis, config.queue.prefix);
  const history = createJobHistory(historyRedis, { prefix: config.queue.prefix });
  return { config, logger, metrics, outages, kube, registry, claims, rollouts, workloads, helm, historyRedis, history };
}
export type SharedServices = ReturnType<typeof createSharedServices>;
