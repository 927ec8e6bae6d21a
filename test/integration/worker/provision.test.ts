import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import type { ProvisionJob } from '../../../src/jobs/job-catalog.ts';
import { namespaceFor, releaseFor } from '../../../src/domain/tenant-id.ts';
import type { TierName } from '../../../src/domain/tiers.ts';
import { readAdminCredentials } from '../../../src/kubernetes/tenant-secrets.ts';
import { requestDeprovision } from '../../../src/lifecycle/intake.ts';
import { lifecycleDeps } from '../../support/tenants.ts';
import { serviceDeps, testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { startWorker } from '../../support/operations-worker.ts';
import { statusOf } from '../../support/kube.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { PROVISION_STEPS } from '../../support/provision-steps.ts';

const kubeconfig = inject('kubeconfig');
const config = testConfig({ kubeconfig, redisUrl: inject('redisUrl') });
const harness = useWorkerHarness({ kubeconfig, config });
const { created } = harness;

async function requestProvision(tier: TierName, d: ServiceDeps = harness.deps) {
  const tenantId = `wk-${tier.slice(0, 4)}-${randomBytes(3).toString('hex')}`;
  created.push(tenantId);
  const jobId = randomUUID();
  const desired = { tier, customDomain: null, resourceOverrides: {}, hibernated: false };
  const expiresAt = tier === 'demo' ? new Date(Date.now() + 7 * 86_400_000).toISOString() : null;
  await d.registry.create({
    tenantId,
    companyName: `Worker ${tier}`,
    ownerEmail: 'owner@example.com',
    ownerName: 'Ada Lovelace',
    customDomain: null,
    stripeCustomerId: 'cus_test123',
    stripeSubscriptionId: null,
    expiresAt,
    desired,
    operation: { type: 'provision', jobId, state: 'queued', at: new Date().toISOString() },
  });
  const payload: ProvisionJob = {
    tenantId,
    namespace: namespaceFor(d.config.platform.namespacePrefix, tenantId),
    release: releaseFor(d.config.platform.releasePrefix, tenantId),
    requestedAt: new Date().toISOString(),
    desired,
    companyName: `Worker ${tier}`,
    ownerEmail: 'owner@example.com',
    ownerName: 'Ada Lovelace',
    stripeCustomerId: 'cus_test123',
    stripeSubscriptionId: null,
    expiresAt,
  };
  await d.producer.enqueue('provision', payload, jobId);
  return { tenantId, jobId, payload };
}

async function redisHolds(text: string): Promise<string[]> {
  const { deps } = harness;
  const hits: string[] = [];
  for (const key of await deps.redis.keys('*')) {
    const type = await deps.redis.type(key);
    const dump =
      type === 'string'
        ? await deps.redis.get(key)
        : type === 'hash'
          ? JSON.stringify(await deps.redis.hgetall(key))
          : type === 'list'
            ? JSON.stringify(await deps.redis.lrange(key, 0, -1))
            : type === 'stream'
              ? JSON.stringify(await deps.redis.xrange(key, '-', '+'))
              : type === 'zset'
                ? JSON.stringify(await deps.redis.zrange(key, 0, -1))
                : type === 'set'
                  ? JSON.stringify(await deps.redis.smembers(key))
                  : '';
    if (dump?.includes(text)) hits.push(key);
  }
  return hits;
}

describe('provision and deprovision through the worker', () => {
  it.each<[TierName, number, number]>([
    ['demo', 1, 1],
    ['enterprise', 3, 3],
  ])("provisions a %s tenant to ready with the tier's resources and deprovisions it to nothing", async (tier, instances, replicas) => {
    const { deps, worker } = harness;
    const { tenantId, jobId, payload } = await requestProvision(tier);
    const { state, job } = await worker.finished(jobId);
    const history = await deps.history.read(jobId);
    expect(state, JSON.stringify(history.filter((e) => e.type !== 'progress'))).toBe('completed');

    const completedSteps = history
      .filter((e) => e.type === 'progress' && e.data.message !== `${e.data.step} started`)
      .map((e) => e.type === 'progress' && e.data.step);
    expect(completedSteps).toEqual(PROVISION_STEPS);
    expect(history.at(-1)?.type).toBe('completed');
    expect(job.progress).toMatchObject({ step: 'return-result', stepIndex: 13, totalSteps: 13, percent: 100 });
    expect(job.returnvalue).toMatchObject({
      tenantId,
      namespace: payload.namespace,
      urls: { tenant: `https://${tenantId}.mechanicbuddy.app`, api: `https://${tenantId}.mechanicbuddy.app/api`, custom: null },
      resources: { tier, postgresInstances: instances, apiReplicas: replicas, webReplicas: replicas },
      credentials: { secretName: `${tenantId}-admin-credentials` },
      billing: { stripeCustomerId: 'cus_test123' },
    });

    const db = await deps.workloads.readDatabase(payload.namespace, `${tenantId}-postgres`);
    expect(db?.status?.readyInstances).toBe(instances);
    const api = await deps.workloads.readDeployment(payload.namespace, `${tenantId}-api-blue`);
    expect(api?.status?.readyReplicas).toBe(replicas);
    const tenant = await deps.registry.get(tenantId);
    expect(tenant?.operation).toMatchObject({ type: 'provision', jobId, state: 'completed' });

    const credentials = await readAdminCredentials(deps.kube.core, payload.namespace, tenantId);
    expect(credentials?.password.length).toBeGreaterThanOrEqual(32);
    expect(await redisHolds(credentials!.password)).toEqual([]);

    // Through the intake, as every removal is: a deprovision job acts only while its marker names it.
    const { jobId: deprovisionId } = await requestDeprovision(lifecycleDeps(deps), tenantId);
    expect((await worker.finished(deprovisionId)).state).toBe('completed');
    expect(await deps.registry.get(tenantId)).toBeUndefined();
    expect(await deps.helm.status(payload.release, payload.namespace)).toBeUndefined();
    expect(await deps.kube.core.readNamespace({ name: payload.namespace }).then(() => 200, statusOf)).toBe(404);
  });

  it("fails a provision Helm rejects with the step and Helm's message, and leaves no namespace", async () => {
    const { deps } = harness;
    // A queue of its own, so the worker of the other tests cannot take this job.
    const base = testConfig({ kubeconfig, redisUrl: inject('redisUrl') });
    const broken = { ...base, platform: { ...base.platform, chart: { path: 'test/fixtures/charts/rejects-values' } } };
    const brokenDeps = serviceDeps(broken, kubeconfig);
    const brokenWorker = await startWorker(brokenDeps);
    try {
      const { tenantId, jobId, payload } = await requestProvision('free', brokenDeps);
      const { state } = await brokenWorker.finished(jobId);
      expect(state).toBe('failed');
      const failed = (await brokenDeps.history.read(jobId)).find((e) => e.type === 'failed');
      expect(failed?.data).toMatchObject({ step: 'deploy-chart' });
      expect(failed?.type === 'failed' && failed.data.message).toContain('database.engine is required by this chart');
      const namespace = await deps.kube.core
        .readNamespace({ name: payload.namespace })
        .then((ns) => (ns.metadata?.deletionTimestamp ? 'terminating' : 'present'), statusOf);
      expect(namespace === 'terminating' || namespace === 404).toBe(true);
      expect(await deps.helm.status(payload.release, payload.namespace)).toBeUndefined();
      expect(tenantId).toBeTruthy();
    } finally {
      await brokenWorker.close();
      await brokenDeps.close();
    }
  });
});
