import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobAccepted, TenantStatus } from '../../../src/api/provisioning/provisioning.schemas.ts';
import type { RolloutDryRun } from '../../../src/api/rollouts/rollout-dry-run.ts';
import type { TenantList } from '../../../src/api/tenants/tenants.schemas.ts';
import { TENANT_LABELS } from '../../../src/domain/tenant-record.ts';
import type { FleetVersions } from '../../../src/services/fleet-versions.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { startApi, type ApiServer } from '../api/support/api-server.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
// Its own namespace prefix: the listing and the rollout plan see only this file's tenants.
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('lb'))) } });
const harness = useWorkerHarness({ kubeconfig, config });
let api: ApiServer;

beforeAll(async () => {
  // The real API over the same prefixes, queue and Redis as the worker, which runs what the API queues.
  api = await startApi({
    kubeconfig,
    redisUrl,
    config: (c) => Object.assign(c, { platform: structuredClone(config.platform), queue: structuredClone(config.queue) }),
  });
});
afterAll(async () => {
  await api?.close();
});

const put = (tenantId: string, body: unknown) => api.call(`/api/provisioning/${tenantId}`, { method: 'PUT', body });
const json = async <T>(res: Response, status: number): Promise<T> => {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
};

describe('tenant labels', () => {
  it('are provisioned, replaced without a job, listed, filtered, and select a rollout dry run', async () => {
    const { deps } = harness;
    const started = Date.now();
    const suffix = randomBytes(3).toString('hex');
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `lbl-${x}-${suffix}`) as [string, string, string];
    const wanted: Record<string, Record<string, string>> = {
      [a]: { team: 'north', 'example.com/cohort': 'early' },
      [b]: { team: 'south' },
      [c]: { team: 'south', env: 'staging' },
    };
    harness.created.push(a, b, c);
    const accepted = await Promise.all(
      [a, b, c].map(async (tenantId) => {
        const body = { companyName: 'Labels', ownerEmail: 'o@example.com', ownerFirstName: 'A', ownerLastName: 'B', subscriptionTier: 'free', tenantId };
        return json<JobAccepted>(await api.call('/api/provisioning/provision', { body: { ...body, labels: wanted[tenantId] } }), 202);
      }),
    );
    // A reserved key is refused by validation (422) before anything is written.
    const refused = await api.call('/api/provisioning/provision', {
      body: {
        companyName: 'X',
        ownerEmail: 'o@example.com',
        ownerFirstName: 'A',
        ownerLastName: 'B',
        subscriptionTier: 'free',
        labels: { 'kubernetes.io/x': 'y' },
      },
    });
    expect((await json<{ errors: unknown[] }>(refused, 422)).errors).toEqual([
      { path: 'labels.kubernetes.io/x', message: 'key uses the reserved prefix kubernetes.io' },
    ]);
    for (const job of accepted) expect(await waitForJob(deps.queue, job.jobId, 120_000)).toBe('completed');
    const provisioned = Date.now() - started;

    const namespaceLabels = async (tenantId: string) => (await deps.kube.core.readNamespace({ name: deps.registry.namespaceOf(tenantId) })).metadata!.labels!;
    const revision = async (tenantId: string) =>
      (await deps.helm.status(`${config.platform.releasePrefix}${tenantId}`, deps.registry.namespaceOf(tenantId)))?.revision;
    // Stored under our label domain, beside the service's own labels, and kept through the provision job's writes.
    expect(await namespaceLabels(a)).toMatchObject({
      'label.tenant-provisioner.io/team': 'north',
      'example.com.label.tenant-provisioner.io/cohort': 'early',
      [TENANT_LABELS.tenantId]: a,
      [TENANT_LABELS.tier]: 'free',
    });

    // Labels alone: 204, no job, no Helm revision; the whole set is replaced (env removed from c's below).
    const jobs = () => deps.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
    const before = { jobs: await jobs(), revision: await revision(b), marker: (await deps.registry.get(b))!.operation };
    const relabelled = await put(b, { labels: { team: 'north', 'example.com/cohort': 'late' } });
    expect(relabelled.status).toBe(204);
    expect({ jobs: await jobs(), revision: await revision(b), marker: (await deps.registry.get(b))!.operation }).toEqual(before);
    expect(Object.entries(await namespaceLabels(b)).filter(([k]) => k.includes('label.tenant-provisioner.io'))).toEqual(
      expect.arrayContaining([
        ['label.tenant-provisioner.io/team', 'north'],
        ['example.com.label.tenant-provisioner.io/cohort', 'late'],
      ]),
    );
    expect((await json<TenantStatus>(await api.call(`/api/provisioning/${b}/status`), 200)).labels).toEqual({ team: 'north', 'example.com/cohort': 'late' });
    // A reserved key is refused with 422 through the update's validation; the service's own tier label is untouched.
    expect((await put(b, { labels: { 'tenant-provisioner.io/tier': 'enterprise' } })).status).toBe(422);
    expect((await namespaceLabels(b))[TENANT_LABELS.tier]).toBe('free');

    // With another field: a job as ever, and the labels recorded with its intent (visible before it runs).
    const update = await json<JobAccepted>(await put(c, { labels: { team: 'south' }, resourceOverrides: { webReplicas: 2 } }), 202);
    expect((await deps.registry.get(c))!.labels).toEqual({ team: 'south' });
    expect(await waitForJob(deps.queue, update.jobId, 120_000)).toBe('completed');
    expect(Object.keys(await namespaceLabels(c)).filter((k) => k.includes('label.tenant-provisioner.io'))).toEqual(['label.tenant-provisioner.io/team']);

    // The list shows labels and filters by them in the API server.
    const all = await json<TenantList>(await api.call('/api/tenants'), 200);
    expect(Object.fromEntries(all.items.map((t) => [t.tenantId, t.labels]))).toEqual({
      [a]: wanted[a],
      [b]: { team: 'north', 'example.com/cohort': 'late' },
      [c]: { team: 'south' },
    });
    const north = await json<TenantList>(await api.call('/api/tenants?label=team=north'), 200);
    expect(north.items.map((t) => t.tenantId).sort()).toEqual([a, b]);
    const early = await json<TenantList>(await api.call('/api/tenants?label=team=north,example.com/cohort=early'), 200);
    expect(early.items.map((t) => t.tenantId)).toEqual([a]);

    // A rollout dry run selecting team=north plans a and b only; c is neither planned nor listed as skipped.
    const dry = await json<RolloutDryRun>(
      await api.call('/api/rollouts?dryRun=true', {
        body: { target: { appVersion: 'v9' }, selector: { labels: { team: 'north' } }, strategy: { canary: { count: 0 } } },
      }),
      200,
    );
    expect(dry.waves.flatMap((w) => w.tenantIds)).toEqual([a, b]);
    expect(dry.skipped).toEqual([]);
    expect(dry.tenants.map((t) => [t.tenantId, t.outcome])).toEqual([
      [a, 'rendered'],
      [b, 'rendered'],
    ]);
    // The fleet's pinned tenants carry their labels too.
    await json(await api.call(`/api/provisioning/${a}/pin`, { method: 'PUT', body: { version: { chart: '0.1.0', app: 'v1' }, reason: 'labels test' } }), 200);
    const fleet = await json<FleetVersions>(await api.call('/api/fleet'), 200);
    expect(fleet.pinned.map((p) => [p.tenantId, p.labels])).toEqual([[a, wanted[a]]]);
    console.warn(`tenant labels: 3 provisions in ${provisioned} ms, whole test ${Date.now() - started} ms`);
  }, 240_000);
});
