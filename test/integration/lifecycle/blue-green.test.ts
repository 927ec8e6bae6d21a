import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { TenantConflictError } from '../../../src/domain/errors.ts';
import { dryRunUpdate } from '../../../src/lifecycle/dry-run.ts';
import { requestRollback, requestUpdate } from '../../../src/lifecycle/intake.ts';
import { BAD_RELEASE_WAITS, FAST_LIFECYCLE, mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import type { ServiceDeps } from '../../support/service-deps.ts';
import { testConfig } from '../../support/service-deps.ts';
import { readTenantStatus } from '../../../src/services/tenant-status.ts';
import { reconcileTenants } from '../../../src/worker/sweeps/reconcile-sweep.ts';
import { lifecycleDeps, requestProvision, secretSnapshot, sweepDeps, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
// One attempt and short readiness waits: a slot that never becomes ready fails fast and is compensated.
const override = mergeOverride(FAST_LIFECYCLE, { queue: { attempts: 1 }, timeouts: BAD_RELEASE_WAITS });
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(override) } });
const harness = useWorkerHarness({ kubeconfig, config });

async function provisioned() {
  const { deps } = harness;
  const t = await requestProvision(deps, 'professional', { prefix: 'bg' });
  harness.created.push(t.tenantId);
  expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
  return t;
}

/** What serves and what runs: the Services' slot, and each slot's Deployments (image tag, replicas) and pod uids. */
async function slots(d: ServiceDeps, tenantId: string, namespace: string) {
  const selected = async (component: string) =>
    (await d.kube.core.readNamespacedService({ name: `${tenantId}-${component}`, namespace })).spec?.selector?.['tenant-provisioner.io/slot'];
  const deployment = async (name: string) => {
    const found = await d.workloads.readDeployment(namespace, name);
    if (!found) return null;
    const image = found.spec?.template.spec?.containers[0]?.image ?? '';
    return { tag: image.slice(image.lastIndexOf(':') + 1), replicas: found.spec?.replicas, ready: found.status?.readyReplicas ?? 0 };
  };
  const pods = async (slot: string) =>
    (await d.kube.core.listNamespacedPod({ namespace, labelSelector: `tenant-provisioner.io/slot=${slot}` })).items.map((p) => p.metadata?.uid).sort();
  return {
    services: { api: await selected('api'), web: await selected('web') },
    blue: { api: await deployment(`${tenantId}-api-blue`), web: await deployment(`${tenantId}-web-blue`), pods: await pods('blue') },
    green: { api: await deployment(`${tenantId}-api-green`), web: await deployment(`${tenantId}-web-green`), pods: await pods('green') },
  };
}

describe('blue-green release of one tenant', () => {
  it('stages the new release on green beside blue, switches the Services once green is ready, and keeps blue running for the window', async () => {
    const { deps, worker } = harness;
    const t = await provisioned();
    const before = await slots(deps, t.tenantId, t.namespace);
    const oldTag = config.platform.images.api.tag;
    expect(before).toMatchObject({
      services: { api: 'blue', web: 'blue' },
      blue: { api: { tag: oldTag, replicas: 2, ready: 2 } },
      green: { api: null, pods: [] },
    });
    const secrets = await secretSnapshot(deps, t.namespace);
    const database = await deps.workloads.readDatabase(t.namespace, `${t.tenantId}-postgres`);
    const revision = (await deps.helm.status(t.release, t.namespace))!.revision;

    const accepted = await requestUpdate(lifecycleDeps(deps), t.tenantId, { appVersion: 'v2' });
    expect((await worker.finished(accepted.jobId)).state).toBe('completed');

    const after = await slots(deps, t.tenantId, t.namespace);
    expect(after.services).toEqual({ api: 'green', web: 'green' });
    expect(after.green).toMatchObject({ api: { tag: 'v2', replicas: 2, ready: 2 }, web: { tag: 'v2', replicas: 2, ready: 2 } });
    // Blue keeps its pods, untouched, for a rollback within the window.
    expect(after.blue).toEqual({ ...before.blue, pods: before.blue.pods });
    // One upgrade, the staged release; the switch changes the Services' selectors, not the release.
    expect((await deps.helm.status(t.release, t.namespace))!.revision).toBe(revision + 1);
    const record = (await deps.registry.get(t.tenantId))!;
    expect(record.desired).toMatchObject({ slot: 'green', images: { api: { tag: 'v2' } }, previous: { slot: 'blue', images: { api: { tag: oldTag } } } });
    expect(record.running).toMatchObject({ slot: 'green', app: 'v2', revision: revision + 1 });
    const events = await deps.history.read(accepted.jobId);
    expect(events.some((e) => e.type === 'progress' && e.data.step === 'switch-traffic')).toBe(true);
    expect(await secretSnapshot(deps, t.namespace)).toEqual(secrets);
    const databaseAfter = await deps.workloads.readDatabase(t.namespace, `${t.tenantId}-postgres`);
    expect(databaseAfter?.metadata?.resourceVersion).toBe(database?.metadata?.resourceVersion);
    // Green's Deployments are the tenant's health now, and the sweep finds nothing to repair.
    expect(await readTenantStatus(deps, t.tenantId)).toMatchObject({ phase: 'ready', api: { ready: true }, running: { slot: 'green' } });
    expect((await reconcileTenants(sweepDeps(deps))).repaired.filter((r) => r.tenantId === t.tenantId)).toEqual([]);
  });

  it('never switches to a release that does not become ready: the job fails, blue keeps serving with the same pods, green is removed and the intent is blue again', async () => {
    const { deps, worker } = harness;
    const t = await provisioned();
    const before = await slots(deps, t.tenantId, t.namespace);
    const desiredBefore = (await deps.registry.get(t.tenantId))!.desired;

    // Every image of the release, the migrations init container included, is tagged bad: never ready.
    const accepted = await requestUpdate(lifecycleDeps(deps), t.tenantId, { appVersion: 'bad' });
    expect((await worker.finished(accepted.jobId)).state).toBe('failed');

    const after = await slots(deps, t.tenantId, t.namespace);
    expect(after.services).toEqual({ api: 'blue', web: 'blue' });
    expect(after.blue).toEqual(before.blue);
    expect(after.green).toMatchObject({ api: null, web: null });
    const record = (await deps.registry.get(t.tenantId))!;
    expect(record.desired).toEqual({ ...desiredBefore, slot: 'blue', images: expect.objectContaining({ api: config.platform.images.api }) });
    expect(record.running).toMatchObject({ slot: 'blue', app: config.platform.images.api.tag });
    expect(record.operation).toMatchObject({ type: 'update', jobId: accepted.jobId, state: 'failed', step: 'wait-for-api' });
  });

  it('rolls back within the window in one call: the Services select blue again, no Helm upgrade, no pod started; again switches forward', async () => {
    const { deps, worker } = harness;
    const t = await provisioned();
    const life = lifecycleDeps(deps);
    // No window yet: nothing to roll back to.
    await expect(requestRollback(life, t.tenantId)).rejects.toBeInstanceOf(TenantConflictError);
    const switched = await requestUpdate(life, t.tenantId, { appVersion: 'v3' });
    expect((await worker.finished(switched.jobId)).state).toBe('completed');
    const inWindow = await slots(deps, t.tenantId, t.namespace);
    const history = await deps.helm.history(t.release, t.namespace);

    const started = performance.now();
    const rollback = await requestRollback(life, t.tenantId);
    expect((await worker.finished(rollback.jobId)).state).toBe('completed');
    const tookMs = performance.now() - started;

    const after = await slots(deps, t.tenantId, t.namespace);
    expect(after.services).toEqual({ api: 'blue', web: 'blue' });
    // The same Deployments and the same pods: nothing was started or restarted.
    expect({ blue: after.blue, green: after.green }).toEqual({ blue: inWindow.blue, green: inWindow.green });
    expect(await deps.helm.history(t.release, t.namespace)).toEqual(history);
    const record = (await deps.registry.get(t.tenantId))!;
    expect(record.desired).toMatchObject({
      slot: 'blue',
      images: { api: config.platform.images.api },
      previous: { slot: 'green', images: { api: { tag: 'v3' } } },
    });
    expect(record.running).toMatchObject({ slot: 'blue', app: config.platform.images.api.tag, revision: history.at(-1)!.revision });
    expect(record.operation).toMatchObject({ type: 'rollback', jobId: rollback.jobId, state: 'completed' });
    expect(await readTenantStatus(deps, t.tenantId)).toMatchObject({ phase: 'ready', api: { ready: true } });
    // A selector patch: measured at 250-400 ms here; the bound only catches a rollback that waits on something.
    expect(tookMs).toBeLessThan(10_000);

    // The window stays: rolling back again switches forward to green, still without Helm.
    const forward = await requestRollback(life, t.tenantId);
    expect((await worker.finished(forward.jobId)).state).toBe('completed');
    expect((await slots(deps, t.tenantId, t.namespace)).services).toEqual({ api: 'green', web: 'green' });
    expect(await deps.helm.history(t.release, t.namespace)).toEqual(history);
    // And the next upgrade renders what the Services select now: nothing to undo.
    const update = await requestUpdate(life, t.tenantId, { resourceOverrides: { webReplicas: 3 } });
    expect((await worker.finished(update.jobId)).state).toBe('completed');
    expect(await slots(deps, t.tenantId, t.namespace)).toMatchObject({
      services: { api: 'green', web: 'green' },
      green: { web: { replicas: 3 } },
      blue: { web: { replicas: 3 } },
    });

    // A slot that cannot take traffic (scaled away by hand) is never switched to: the job fails, nothing moved.
    await deps.kube.apps.patchNamespacedDeployment(
      { namespace: t.namespace, name: `${t.tenantId}-web-blue`, body: { spec: { replicas: 0 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const desiredBefore = (await deps.registry.get(t.tenantId))!.desired;
    const refused = await requestRollback(life, t.tenantId);
    expect((await worker.finished(refused.jobId)).state).toBe('failed');
    expect((await slots(deps, t.tenantId, t.namespace)).services).toEqual({ api: 'green', web: 'green' });
    const failed = (await deps.registry.get(t.tenantId))!;
    expect(failed.desired).toEqual(desiredBefore);
    expect(failed.operation).toMatchObject({ type: 'rollback', state: 'failed', step: 'check-slot-ready', message: expect.stringContaining('web-blue') });
  });

  it('closes the window once it is over: the reconcile sweep scales blue away with one update, and rollback is then refused', async () => {
    const { deps, worker } = harness;
    const t = await provisioned();
    const switched = await requestUpdate(lifecycleDeps(deps), t.tenantId, { appVersion: 'v4' });
    expect((await worker.finished(switched.jobId)).state).toBe('completed');
    const { windowSeconds } = config.provisioning.blueGreen;
    const ours = (report: { windowsClosed: string[] }) => report.windowsClosed.filter((id) => id === t.tenantId);
    // Inside the window the sweep leaves it open.
    expect(ours(await reconcileTenants(sweepDeps(deps)))).toEqual([]);

    const later = { ...sweepDeps(deps), now: () => new Date(Date.now() + (windowSeconds + 1) * 1000) };
    const [first, second] = await Promise.all([reconcileTenants(later), reconcileTenants(later)]);
    expect([...ours(first), ...ours(second)]).toEqual([t.tenantId, t.tenantId]);
    const record = (await deps.registry.get(t.tenantId))!;
    expect(record.operation).toMatchObject({ type: 'update', reason: 'reconcile', jobId: expect.stringMatching(/^close-window-/) });
    expect((await worker.finished(record.operation!.jobId)).state).toBe('completed');

    const after = await slots(deps, t.tenantId, t.namespace);
    expect(after).toMatchObject({ services: { api: 'green', web: 'green' }, green: { api: { tag: 'v4', ready: 2 } }, blue: { api: null, web: null } });
    expect((await deps.registry.get(t.tenantId))!.desired.previous).toBeUndefined();
    await expect(requestRollback(lifecycleDeps(deps), t.tenantId)).rejects.toBeInstanceOf(TenantConflictError);
    expect(ours(await reconcileTenants(later))).toEqual([]);
  });

  it("dry-runs a release: the diff names green's Deployments and the Services' selectors, and no object changes", async () => {
    const { deps } = harness;
    const t = await provisioned();
    const objects = async () => {
      const [deployments, services, configMaps, secrets] = await Promise.all([
        deps.kube.apps.listNamespacedDeployment({ namespace: t.namespace }),
        deps.kube.core.listNamespacedService({ namespace: t.namespace }),
        deps.kube.core.listNamespacedConfigMap({ namespace: t.namespace }),
        deps.kube.core.listNamespacedSecret({ namespace: t.namespace }),
      ]);
      return [deployments, services, configMaps, secrets].flatMap((l) => l.items.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)).sort();
    };
    const before = {
      objects: await objects(),
      record: await deps.registry.get(t.tenantId),
      revision: (await deps.helm.status(t.release, t.namespace))!.revision,
    };
    const plan = await dryRunUpdate({ ...lifecycleDeps(deps), helm: deps.helm }, t.tenantId, { appVersion: 'v5' });
    const pg = config.platform.images.postgres;
    expect(plan.switch).toEqual({ from: 'blue', to: 'green' });
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        {
          kind: 'Deployment',
          name: `${t.tenantId}-api-green`,
          action: 'create',
          paths: [],
          // The wait for the database (the pinned PostgreSQL image) stays; the migrations and the API are the release's.
          images: [`${pg.repository}:${pg.tag}`, `${config.platform.images.migrations.repository}:v5`, `${config.platform.images.api.repository}:v5`],
        },
        { kind: 'Deployment', name: `${t.tenantId}-web-green`, action: 'create', paths: [], images: [`${config.platform.images.web.repository}:v5`] },
        { kind: 'Service', name: `${t.tenantId}-api`, action: 'update', paths: ['spec.selector.tenant-provisioner.io/slot'] },
      ]),
    );
    // Blue renders as it runs: a dry run of the switch does not touch it.
    expect(plan.changes.find((c) => c.name === `${t.tenantId}-api-blue`)).toBeUndefined();
    expect({
      objects: await objects(),
      record: await deps.registry.get(t.tenantId),
      revision: (await deps.helm.status(t.release, t.namespace))!.revision,
    }).toEqual(before);
  });
});
