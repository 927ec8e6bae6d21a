import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { describe, expect, inject, it } from 'vitest';
import { redisOptions } from '../../../src/composition/redis-connections.ts';
import { requestHibernate, requestResume } from '../../../src/lifecycle/intake.ts';
import { MAINTENANCE_QUEUE } from '../../../src/jobs/sweep-catalog.ts';
import { scheduleSweeps } from '../../../src/jobs/sweep-schedules.ts';
import { createMaintenanceWorker } from '../../../src/worker/maintenance-worker.ts';
import { sweepExpired } from '../../../src/worker/sweeps/expiry-sweep.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { eventually } from '../../support/kube.ts';
import { testConfig } from '../../support/service-deps.ts';
import { lifecycleDeps, requestProvision, secretSnapshot, sweepDeps, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const expiry = { provisioning: { expiry: { sweepSeconds: 1, policy: 'hibernate-then-deprovision', deprovisionAfterSeconds: 6 } } };
const config = testConfig({
  kubeconfig,
  redisUrl: inject('redisUrl'),
  env: { CONFIG_FILE: writeConfigOverride(mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('he')), expiry)) },
});
const harness = useWorkerHarness({ kubeconfig, config });
const { created } = harness;

describe('hibernate, resume and expiry', () => {
  it("hibernates to zero replicas with the database asleep, and resumes to the tier's replica counts, keeping the database and Secrets", async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'professional');
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    const secrets = await secretSnapshot(deps, t.namespace);
    const uid = (await tenantShape(deps, t.tenantId)).database!.uid;

    const hibernate = await requestHibernate(lifecycleDeps(deps), t.tenantId);
    expect(await waitForJob(deps.queue, hibernate.jobId)).toBe('completed');
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({
      release: { status: 'deployed' },
      database: { uid, hibernated: true, readyInstances: 0 },
      api: { replicas: 0, ready: 0 },
      web: { replicas: 0, ready: 0 },
    });
    const db = await deps.workloads.readDatabase(t.namespace, `${t.tenantId}-postgres`);
    expect(db?.status?.conditions).toContainEqual(expect.objectContaining({ type: 'cnpg.io/hibernation', status: 'True' }));
    expect((await deps.registry.get(t.tenantId))!.desired.hibernated).toBe(true);

    const resume = await requestResume(lifecycleDeps(deps), t.tenantId);
    expect(await waitForJob(deps.queue, resume.jobId)).toBe('completed');
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({
      release: { status: 'deployed' },
      database: { uid, hibernated: false, readyInstances: 1 },
      api: { replicas: 2, ready: 2 },
      web: { replicas: 2, ready: 2 },
    });
    expect(await secretSnapshot(deps, t.namespace)).toEqual(secrets);
  });

  it('hibernates a demo tenant when it expires and removes it after the grace period, driven by the job scheduler', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'demo', { expiresAt: new Date(Date.now() + 3_000).toISOString() });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    const maintenance = new Queue(MAINTENANCE_QUEUE, { connection: deps.redis, prefix: config.queue.prefix });
    const sweeper = createMaintenanceWorker(sweepDeps(deps), { connection: redisOptions(config.redis, 'durable'), prefix: config.queue.prefix });
    try {
      await scheduleSweeps(maintenance, config);
      // Two replicas starting: upserting the same schedulers again leaves one of each.
      await scheduleSweeps(maintenance, config);
      expect((await maintenance.getJobSchedulers()).map((s) => s.key).sort()).toEqual(['expiry-sweep', 'reconcile-sweep', 'rollout-sweep']);
      void sweeper.run();
      const hibernated = await eventually(
        'expiry hibernation',
        async () => {
          const shape = await tenantShape(deps, t.tenantId);
          return shape.database?.hibernated && shape.api?.replicas === 0 ? shape : undefined;
        },
        30_000,
      );
      expect(hibernated.namespaces).toBe(1);
      const marker = (await deps.registry.get(t.tenantId))?.operation;
      expect(marker?.jobId).toMatch(/^expiry-(hibernate|deprovision)-/);
      await eventually('expired tenant removed', async () => ((await tenantShape(deps, t.tenantId)).namespaces === 0 ? true : undefined), 45_000);
      expect(await deps.helm.status(t.release, t.namespace)).toBeUndefined();
    } finally {
      await sweeper.close();
      await maintenance.obliterate({ force: true }).catch(() => undefined);
      await maintenance.close();
    }
  });

  it('acts once when several expiry sweeps run at the same moment', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'demo', { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    const revision = (await tenantShape(deps, t.tenantId)).release!.revision;
    // Expired now, with a grace period long enough that only hibernation is due.
    const late = {
      ...sweepDeps(deps),
      now: () => new Date(Date.now() + 120_000),
      config: { ...config, provisioning: { ...config.provisioning, expiry: { ...config.provisioning.expiry, deprovisionAfterSeconds: 3_600 } } },
    };
    const reports = await Promise.all(Array.from({ length: 5 }, () => sweepExpired(late)));
    expect(reports.flatMap((r) => r.hibernate).filter((id) => id === t.tenantId)).toHaveLength(1);
    expect(reports.flatMap((r) => r.deprovision)).toEqual([]);
    const jobs = (await deps.queue.getJobs(['waiting', 'active', 'delayed', 'completed'])).filter(
      (j) => j.data.tenantId === t.tenantId && j.name === 'hibernate',
    );
    expect(jobs).toHaveLength(1);
    expect(await waitForJob(deps.queue, jobs[0]!.id!)).toBe('completed');
    // And again afterwards: nothing more to do.
    expect((await sweepExpired(late)).hibernate).toEqual([]);
    await sleep(500);
    expect((await tenantShape(deps, t.tenantId)).release!.revision).toBe(revision + 1);
  });
});
