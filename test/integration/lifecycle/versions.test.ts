import { describe, expect, inject, it } from 'vitest';
import { TENANT_ANNOTATIONS } from '../../../src/domain/tenant-record.ts';
import { appVersionOf, valuesHash } from '../../../src/domain/tenant-version.ts';
import { configuredTarget, readLocalChartVersion } from '../../../src/helm/chart-version.ts';
import { requestResume } from '../../../src/lifecycle/intake.ts';
import { requestPin, requestUnpin } from '../../../src/lifecycle/pin-intake.ts';
import { tenantChartValues } from '../../../src/lifecycle/tenant-values.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { fleetVersions } from '../../../src/services/fleet-versions.ts';
import { reconcileTenants } from '../../../src/worker/sweeps/reconcile-sweep.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { lifecycleDeps, requestProvision, sweepDeps, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// Issue 14, part 1 on the sandbox: the worker records what real Helm installed, the fleet view and
// pins read it back from the namespaces, and the reconcile sweep reports drift without repairing it.
const kubeconfig = inject('kubeconfig');
const config = testConfig({
  kubeconfig,
  redisUrl: inject('redisUrl'),
  env: { CONFIG_FILE: writeConfigOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('vr'))) },
});
const harness = useWorkerHarness({ kubeconfig, config });
const { created } = harness;

describe('tenant versions', () => {
  it('are recorded at each deploy, counted by the fleet view, pinned through the intake and reported as drift, never repaired', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'free', { prefix: 'vr' });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');

    // What Helm reports it installed, and the values the worker gave it.
    const tenant = (await deps.registry.get(t.tenantId))!;
    const chartVersion = readLocalChartVersion(config.platform.chart.path);
    expect(chartVersion).toMatch(/^\d+\.\d+\.\d+/);
    const values = tenantChartValues(config, { tenantId: t.tenantId, companyName: tenant.companyName, expiresAt: tenant.expiresAt }, tenant.desired).yaml;
    expect(tenant.running).toMatchObject({
      chart: { name: 'mechanicbuddy-tenant', version: chartVersion },
      app: appVersionOf(config.platform.images),
      images: { api: `${config.platform.images.api.repository}:${config.platform.images.api.tag}` },
      valuesHash: valuesHash(values),
      revision: 1,
    });
    const ns = await deps.kube.core.readNamespace({ name: t.namespace });
    expect(JSON.parse(ns.metadata!.annotations![TENANT_ANNOTATIONS.runningVersion]!)).toEqual(tenant.running);

    // A converge records its own revision.
    const resumed = await requestResume(lifecycleDeps(deps), t.tenantId);
    expect(await waitForJob(deps.queue, resumed.jobId)).toBe('completed');
    expect((await deps.registry.get(t.tenantId))!.running).toMatchObject({ revision: 2, valuesHash: valuesHash(values) });

    const target = configuredTarget(config.platform);
    const fleet = await fleetVersions(deps.registry, target());
    expect(fleet).toMatchObject({ tenants: 1, onTarget: 1, pinned: [] });
    expect(fleet.versions).toEqual([
      { version: target(), tenants: 1, pinned: 0, byTier: { demo: 0, free: 1, professional: 0, enterprise: 0 }, onTarget: true },
    ]);

    const metrics = createMetrics({ processMetrics: false });
    const sweep = () => reconcileTenants({ ...sweepDeps(deps), fleetTarget: target, metrics });
    expect((await sweep()).versionDrift).toEqual({ drifted: 0, unknown: 0, tenants: [] });

    // Pinned to another version: drift, reported in the report and the gauge, and left alone.
    const pin = await requestPin(lifecycleDeps(deps), t.tenantId, { version: { chart: chartVersion!, app: 'older' }, reason: 'customer certifying' }, 'ops');
    expect((await deps.registry.get(t.tenantId))!.pin).toEqual(pin);
    const jobsBefore = await deps.queue.getJobCountByTypes('waiting', 'active', 'delayed', 'completed', 'failed');
    const report = await sweep();
    expect(report.versionDrift).toEqual({
      drifted: 1,
      unknown: 0,
      tenants: [{ tenantId: t.tenantId, running: target(), target: pin.version, pinned: true }],
    });
    expect(report.repaired).toEqual([]);
    expect(await deps.queue.getJobCountByTypes('waiting', 'active', 'delayed', 'completed', 'failed')).toBe(jobsBefore);
    expect(await metrics.render()).toMatch(/tenant_provisioner_version_drift_tenants\{state="drifted"\} 1/);
    expect((await fleetVersions(deps.registry, target())).pinned.map((p) => p.tenantId)).toEqual([t.tenantId]);

    await requestUnpin(lifecycleDeps(deps), t.tenantId);
    expect((await deps.registry.get(t.tenantId))!.pin).toBeUndefined();
    expect((await sweep()).versionDrift.drifted).toBe(0);
    expect(await metrics.render()).toMatch(/tenant_provisioner_version_drift_tenants\{state="drifted"\} 0/);
  }, 180_000);
});
