import type { Rollout } from '../../src/domain/rollout.ts';
import { tickRollout, type RolloutDeps } from '../../src/lifecycle/rollouts.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import { expect } from 'vitest';
import { namespaceFor, releaseFor } from '../../src/domain/tenant-id.ts';
import { MANAGED_BY, TENANT_LABELS } from '../../src/domain/tenant-record.ts';
import type { TierName } from '../../src/domain/tiers.ts';
import type { ProvisionJob } from '../../src/jobs/job-catalog.ts';
import type { LifecycleDeps } from '../../src/lifecycle/intake.ts';
import { CNPG_HIBERNATION } from '../../src/kubernetes/readiness.ts';
import type { ReconcileDeps } from '../../src/worker/sweeps/reconcile-sweep.ts';
import type { ServiceDeps } from './service-deps.ts';

/** The intake the HTTP layer calls, bound to a test's real dependencies. */
export const lifecycleDeps = (d: ServiceDeps): LifecycleDeps => ({
  config: d.config,
  tenants: d.registry,
  producer: d.producer,
  helm: d.helm,
  workloads: d.workloads,
});

/** What the rollout service is built from (the API's and the rollout sweep's), bound to a test's real dependencies. */
export const rolloutDeps = (d: ServiceDeps): RolloutDeps => ({
  ...lifecycleDeps(d),
  tenants: d.registry,
  rollouts: d.rollouts,
  workloads: d.workloads,
  logger: d.logger,
});

/** What the sweeps (expiry, reconcile, rollouts) are built from, as the worker process builds them. */
export const sweepDeps = (d: ServiceDeps): ReconcileDeps & Pick<RolloutDeps, 'rollouts' | 'workloads'> => ({
  ...lifecycleDeps(d),
  workloads: d.workloads,
  kube: d.kube,
  leases: d.leases,
  queue: d.queue,
  logger: d.logger,
  rollouts: d.rollouts,
});

/** Records a tenant's intent and queues its provision, as the API's intake does. */
export async function requestProvision(
  d: ServiceDeps,
  tier: TierName,
  o: { prefix?: string; expiresAt?: string | null; jobId?: string; tenantId?: string } = {},
) {
  const tenantId = o.tenantId ?? `${o.prefix ?? 'lc'}-${tier.slice(0, 4)}-${randomBytes(3).toString('hex')}`;
  const jobId = o.jobId ?? randomUUID();
  const desired = { tier, customDomain: null, resourceOverrides: {}, hibernated: false };
  const expiresAt = o.expiresAt !== undefined ? o.expiresAt : tier === 'demo' ? new Date(Date.now() + 7 * 86_400_000).toISOString() : null;
  const facts = {
    companyName: `Lifecycle ${tier}`,
    ownerEmail: 'owner@example.com',
    ownerName: 'Ada Lovelace',
    stripeCustomerId: null,
    stripeSubscriptionId: null,
  };
  await d.registry.create({
    tenantId,
    ...facts,
    customDomain: null,
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
    ...facts,
    expiresAt,
  };
  await d.producer.enqueue('provision', payload, jobId);
  return { tenantId, jobId, namespace: payload.namespace, release: payload.release };
}

/** Polls until the job is completed or failed (tests may poll; Redis errors during a restart are retried). */
export async function waitForJob(queue: Queue, jobId: string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let state = 'missing';
  while (Date.now() < deadline) {
    state = await queue.getJobState(jobId).catch(() => 'unreachable');
    if (state === 'completed' || state === 'failed') return state;
    await sleep(100);
  }
  throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
}

/** Fails with the job's failure reason, not just its state, when it did not complete. */
export async function expectJobCompleted(queue: Queue, jobId: string, timeoutMs?: number): Promise<void> {
  const state = await waitForJob(queue, jobId, timeoutMs);
  const reason = state === 'completed' ? undefined : (await queue.getJob(jobId))?.failedReason;
  expect({ jobId, state, reason }).toEqual({ jobId, state: 'completed', reason: undefined });
}

/** Every Secret the service created for the tenant: name → resourceVersion and data, to prove none changed. */
export async function secretSnapshot(d: ServiceDeps, namespace: string): Promise<Record<string, { resourceVersion: string; data: unknown }>> {
  const list = await d.kube.core.listNamespacedSecret({ namespace, labelSelector: `${TENANT_LABELS.managedBy}=${MANAGED_BY}` });
  return Object.fromEntries(list.items.map((s) => [s.metadata!.name!, { resourceVersion: s.metadata!.resourceVersion!, data: s.data }]));
}

/** The tenant's database object and its spec's generation: a change to either means the database was touched. */
export async function databaseSnapshot(d: ServiceDeps, tenantId: string) {
  const db = await d.workloads.readDatabase(namespaceFor(d.config.platform.namespacePrefix, tenantId), `${tenantId}-postgres`);
  return { uid: (db?.metadata as { uid?: string } | undefined)?.uid, generation: (db?.metadata as { generation?: number } | undefined)?.generation };
}

/** What the cluster shows of a tenant: release, database and the two Deployments. */
export async function tenantShape(d: ServiceDeps, tenantId: string) {
  const namespace = namespaceFor(d.config.platform.namespacePrefix, tenantId);
  const [release, db, api, web, namespaces] = await Promise.all([
    d.helm.status(releaseFor(d.config.platform.releasePrefix, tenantId), namespace),
    d.workloads.readDatabase(namespace, `${tenantId}-postgres`),
    d.workloads.readDeployment(namespace, `${tenantId}-api-blue`),
    d.workloads.readDeployment(namespace, `${tenantId}-web-blue`),
    d.kube.core.listNamespace({ labelSelector: `${TENANT_LABELS.tenantId}=${tenantId}` }),
  ]);
  return {
    namespaces: namespaces.items.length,
    release: release && { status: release.status, revision: release.revision },
    database: db && {
      uid: (db.metadata as { uid?: string } | undefined)?.uid,
      instances: db.spec?.instances,
      readyInstances: db.status?.readyInstances,
      hibernated: db.metadata?.annotations?.[CNPG_HIBERNATION] === 'on',
      storage: (db.spec as { storage?: { size?: string } } | undefined)?.storage?.size,
    },
    api: api && { replicas: api.spec?.replicas, ready: api.status?.readyReplicas ?? 0 },
    web: web && { replicas: web.spec?.replicas, ready: web.status?.readyReplicas ?? 0 },
  };
}

/**
 * `count` free tenants provisioned at once and waited for, each checked `completed`; their ids go
 * to `created`, so the harness deletes them after the file.
 */
export async function provisionFreeTenants(h: { deps: ServiceDeps; created: string[] }, count: number, prefix: string, timeoutMs = 180_000) {
  const provisions = await Promise.all(Array.from({ length: count }, () => requestProvision(h.deps, 'free', { prefix })));
  h.created.push(...provisions.map((p) => p.tenantId));
  for (const p of provisions) await expectJobCompleted(h.deps.queue, p.jobId, timeoutMs);
  return provisions;
}

/** True once no job of this queue waits, runs or is delayed. */
export async function queueIdle(queue: Queue): Promise<boolean> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
  return Object.values(counts).every((n) => n === 0);
}

/** Ticks a rollout once a second, as the rollout sweep does, until it stops running; returns the record after each tick. */
export async function driveRollout(d: ServiceDeps, id: string, timeoutMs = 240_000): Promise<Rollout[]> {
  const seen: Rollout[] = [];
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(1_000)) {
    await tickRollout(rolloutDeps(d), id);
    const { rollout } = (await d.rollouts.read(id))!;
    seen.push(rollout);
    if (rollout.state !== 'running') return seen;
  }
  throw new Error(`rollout ${id} still running after ${timeoutMs} ms`);
}
