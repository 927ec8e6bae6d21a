import { NetworkingV1Api, type V1Job } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { requestUpdate } from '../../../src/lifecycle/intake.ts';
import { FAST_LIFECYCLE, mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { lifecycleDeps, requestProvision, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness, type WorkerHarness } from '../../support/worker-harness.ts';

// The blue-green smoke check (issue 14, item 3): between "green is ready" and "the Services switch",
// a Job in the tenant namespace requests green's API and Web through green's own Services. In the
// sandbox KWOK runs the Job's pod: it succeeds, or fails when its image is tagged `bad`
// (test/sandbox/stages.ts; a sandbox started before that stage fails it by its deadline instead).
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const CURL = { repository: 'curlimages/curl', tag: '8.11.1' };

function harnessWith(image: { repository: string; tag: string }): WorkerHarness {
  const override = mergeOverride(FAST_LIFECYCLE, {
    queue: { attempts: 1 },
    provisioning: { blueGreen: { smokeCheck: { image, timeoutSeconds: 10, keepFinishedSeconds: 600 } } },
  });
  return useWorkerHarness({ kubeconfig, config: testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(override) } }) });
}

async function provisioned(harness: WorkerHarness) {
  const t = await requestProvision(harness.deps, 'professional', { prefix: 'smoke' });
  harness.created.push(t.tenantId);
  expect(await waitForJob(harness.deps.queue, t.jobId)).toBe('completed');
  return t;
}

/** The Services' slot, each slot's pod uids, and the smoke-check Jobs with their verdicts. */
async function observed(d: ServiceDeps, tenantId: string, namespace: string) {
  const selected = async (component: string) =>
    (await d.kube.core.readNamespacedService({ name: `${tenantId}-${component}`, namespace })).spec?.selector?.['tenant-provisioner.io/slot'];
  const pods = async (slot: string) =>
    (await d.kube.core.listNamespacedPod({ namespace, labelSelector: `tenant-provisioner.io/slot=${slot},app.kubernetes.io/component!=smoke-check` })).items
      .map((p) => p.metadata?.uid)
      .sort();
  const jobs = (await d.kube.batch.listNamespacedJob({ namespace })).items;
  return { services: { api: await selected('api'), web: await selected('web') }, blue: await pods('blue'), green: await pods('green'), jobs };
}

const verdict = (job: V1Job) => job.status?.conditions?.find((c) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True')?.type;

describe('blue-green smoke check that passes', () => {
  const harness = harnessWith(CURL);

  it("runs a Job against green's own Services once green is ready, then switches", async () => {
    const { deps, worker } = harness;
    const t = await provisioned(harness);
    // A provision has nothing to check: no Job.
    expect((await observed(deps, t.tenantId, t.namespace)).jobs).toEqual([]);

    const accepted = await requestUpdate(lifecycleDeps(deps), t.tenantId, { appVersion: 'v2' });
    expect((await worker.finished(accepted.jobId)).state).toBe('completed');

    const after = await observed(deps, t.tenantId, t.namespace);
    expect(after.services).toEqual({ api: 'green', web: 'green' });
    expect(after.jobs).toHaveLength(1);
    const job = after.jobs[0]!;
    expect(verdict(job)).toBe('Complete');
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 10, ttlSecondsAfterFinished: 600 });
    expect(job.spec?.template.spec?.containers[0]?.args).toEqual(
      expect.arrayContaining([
        `http://${t.tenantId}-api-green.${t.namespace}.svc/health/ready`,
        `http://${t.tenantId}-web-green.${t.namespace}.svc/api/health`,
      ]),
    );
    // The addresses it used are green's, and the chart let its pods reach them.
    const service = await deps.kube.core.readNamespacedService({ name: `${t.tenantId}-api-green`, namespace: t.namespace });
    expect(service.spec?.selector).toMatchObject({ 'app.kubernetes.io/component': 'api', 'tenant-provisioner.io/slot': 'green' });
    const policy = await deps.kube.kc.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ name: `${t.tenantId}-smoke-check`, namespace: t.namespace });
    expect(policy.spec?.podSelector?.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'smoke-check' });

    const events = await deps.history.read(accepted.jobId);
    const steps = events.flatMap((e) => (e.type === 'progress' ? [e.data.step] : []));
    expect(steps.indexOf('smoke-check')).toBeGreaterThan(steps.lastIndexOf('wait-for-web'));
    expect(steps.indexOf('switch-traffic')).toBeGreaterThan(steps.lastIndexOf('smoke-check'));
  });
});

describe('blue-green smoke check that fails', () => {
  const harness = harnessWith({ ...CURL, tag: 'bad' });

  it('abandons the switch: blue keeps serving with the same pods, green is removed, the tenant stays on its version', async () => {
    const { deps, worker } = harness;
    const t = await provisioned(harness);
    const before = await observed(deps, t.tenantId, t.namespace);
    const record = (await deps.registry.get(t.tenantId))!;

    const started = performance.now();
    const accepted = await requestUpdate(lifecycleDeps(deps), t.tenantId, { appVersion: 'v2' });
    expect((await worker.finished(accepted.jobId)).state).toBe('failed');
    const tookMs = performance.now() - started;

    const after = await observed(deps, t.tenantId, t.namespace);
    expect(after.services).toEqual({ api: 'blue', web: 'blue' });
    expect(after.blue).toEqual(before.blue);
    expect(after.green).toEqual([]);
    expect(await deps.workloads.readDeployment(t.namespace, `${t.tenantId}-api-green`)).toBeUndefined();
    // The failed Job stays for inspection (its TTL removes it).
    expect(after.jobs.map(verdict)).toEqual(['Failed']);
    const failed = (await deps.registry.get(t.tenantId))!;
    expect(failed.desired).toEqual({ ...record.desired, slot: 'blue', images: expect.objectContaining({ api: deps.config.platform.images.api }) });
    expect(failed.running).toMatchObject({ slot: 'blue', app: record.running!.app });
    expect(failed.operation).toMatchObject({
      type: 'update',
      jobId: accepted.jobId,
      state: 'failed',
      step: 'smoke-check',
      message: expect.stringMatching(/smoke check of green failed: .*(BackoffLimitExceeded|DeadlineExceeded)/),
    });
    // No retry, no wait for the step's timeout: the Job's failure is the verdict.
    expect(tookMs).toBeLessThan(60_000);
  });
});
