import type { CoreV1Api } from '@kubernetes/client-node';
import { createBackupPreflight } from '../../src/backup/backup-preflight.ts';
import { createRolloutStore } from '../../src/kubernetes/rollout-store.ts';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { redisConnection } from '../../src/composition/redis-connections.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/config.schema.ts';
import { createHelmClient } from '../../src/helm/helm-client.ts';
import { OPERATIONS_QUEUE } from '../../src/jobs/job-catalog.ts';
import { createJobHistory } from '../../src/jobs/job-history.ts';
import { createJobProducer } from '../../src/jobs/job-producer.ts';
import { createKubernetes } from '../../src/kubernetes/kube-client.ts';
import { createTenantStore } from '../../src/kubernetes/tenant-store.ts';
import { createTenantWorkloads } from '../../src/kubernetes/tenant-workloads.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTenantLeases } from '../../src/worker/tenant-lease.ts';
import { sandboxBinaries } from '../sandbox/versions.ts';

export const TEST_JWT_SECRET = 'integration-test-secret-at-least-32-bytes-long!!';

/** Configuration for one test file: the real defaults, the sandbox, this run's Redis and a queue prefix of its own. */
export function testConfig(options: { kubeconfig: string; redisUrl: string; env?: Record<string, string> }): Config {
  return loadConfig({
    env: {
      KUBECONFIG: options.kubeconfig,
      REDIS_URL: options.redisUrl,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      // The sandbox's platform Secret holds keys for no store: only the backup tests, with an
      // object store of their own, run the preflight (BACKUP_PREFLIGHT=true in their env).
      BACKUP_PREFLIGHT: 'false',
      ...options.env,
    },
  });
}

/** The preflight the worker's composition root builds for this configuration. */
export function backupPreflightOf(deps: { kube: { core: CoreV1Api } }, config: Config) {
  return config.platform.backup.preflight ? createBackupPreflight(deps.kube.core, config.platform.backup) : undefined;
}

/** Every worker-side dependency built from real clients, plus a closer for the connections. */
export function serviceDeps(config: Config, kubeconfig: string) {
  const logger = createLogger(config.logging);
  const kube = createKubernetes(config.kubernetes);
  const registry = createTenantStore(kube.core, config.platform.namespacePrefix);
  const workloads = createTenantWorkloads(kube);
  const helm = createHelmClient({ binary: sandboxBinaries().helm, kubeconfig, env: process.env });
  const redis = redisConnection(config.redis, 'durable');
  const history = createJobHistory(redis, { prefix: config.queue.prefix });
  const queue = new Queue(OPERATIONS_QUEUE, { connection: redis, prefix: config.queue.prefix });
  const producer = createJobProducer(queue, config.queue);
  const leases = createTenantLeases(redis, { prefix: config.queue.prefix, ttlMs: config.queue.tenantLease.ttlMs });
  const rollouts = createRolloutStore(kube.core, config.platform.claimsNamespace, config.platform.namespacePrefix);
  return {
    config,
    logger,
    kube,
    registry,
    workloads,
    helm,
    redis,
    history,
    queue,
    producer,
    leases,
    rollouts,
    async close() {
      await queue.close();
      await redis.quit();
    },
  };
}
export type ServiceDeps = ReturnType<typeof serviceDeps>;
