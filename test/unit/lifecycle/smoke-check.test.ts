import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { SmokeCheckConfig } from '../../../src/config/smoke-check-config.schema.ts';
import { stackImagesOf } from '../../../src/domain/slots.ts';
import { imagesAtVersion } from '../../../src/domain/slots.ts';
import type { PendingSwitch } from '../../../src/lifecycle/blue-green.ts';
import { runSmokeCheck, smokeJobName, smokeJobOf } from '../../../src/lifecycle/smoke-check.ts';
import { convergeSteps } from '../../../src/lifecycle/plans/converge.plan.ts';
import type { OperationDeps } from '../../../src/lifecycle/plans/plan-deps.ts';
import { tenantRef } from '../../../src/lifecycle/tenant-ref.ts';
import { smokeJobManifest, type SmokeChecks, type SmokeJob, type SmokeVerdict } from '../../../src/kubernetes/smoke-check-job.ts';
import { jobVerdict } from '../../../src/kubernetes/run-job.ts';
import type { WaitOptions } from '../../../src/kubernetes/tenant-workloads.ts';
import { WatchTimeoutError } from '../../../src/kubernetes/watch-until.ts';
import { isPermanentFailure } from '../../../src/worker/failure.ts';
import { StepFailedError } from '../../../src/worker/step-runner.ts';

const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const ref = tenantRef(config, 'acme-abc123');
const check = SmokeCheckConfig.parse({ image: { repository: 'curlimages/curl', tag: '8.11.1' } })!;
const images = config.platform.images;
const pending: PendingSwitch = { from: 'blue', to: 'green', serving: stackImagesOf(images), next: imagesAtVersion(images, 'v2') };
const wait = { signal: new AbortController().signal };

/** An in-memory SmokeChecks: Jobs by name, each created once, answering the verdict it is given. */
function fakeChecks(answer: (job: SmokeJob) => SmokeVerdict | Error) {
  const created = new Map<string, SmokeJob>();
  const runs: Array<{ job: SmokeJob; wait: WaitOptions }> = [];
  const checks: SmokeChecks = {
    async run(job, o) {
      runs.push({ job, wait: o });
      if (!created.has(job.name)) created.set(job.name, job);
      const verdict = answer(job);
      if (verdict instanceof Error) throw verdict;
      return verdict;
    },
  };
  return { checks, created, runs };
}

describe('the smoke-check step (issue 14, blue-green)', () => {
  it('checks nothing without a switch, or without a configured check', async () => {
    const fake = fakeChecks(() => ({ passed: true, reason: 'ok' }));
    expect(await runSmokeCheck(check, fake.checks, ref, 'j-1', undefined, wait)).toBe('no blue-green switch');
    expect(await runSmokeCheck(null, fake.checks, ref, 'j-1', pending, wait)).toMatch(/no smoke check configured/);
    expect(fake.runs).toEqual([]);
  });

  it("requests the staged slot's own Services, with the configured paths, and waits past the Job's deadline for its verdict", async () => {
    const fake = fakeChecks(() => ({ passed: true, reason: 'ok' }));
    expect(await runSmokeCheck(check, fake.checks, ref, 'j-1', pending, wait)).toMatch(/smoke check of green passed \(2 URLs/);
    const { job, wait: o } = fake.runs[0]!;
    expect(job).toMatchObject({
      namespace: ref.namespace,
      release: ref.release,
      slot: 'green',
      urls: [`http://acme-abc123-api-green.${ref.namespace}.svc/health/ready`, `http://acme-abc123-web-green.${ref.namespace}.svc/api/health`],
      deadlineSeconds: 60,
      keepFinishedSeconds: 3600,
    });
    expect(o.timeoutMs).toBe(90_000);
    const apiOnly = smokeJobOf({ ...check, webPath: null, apiPath: '/health/live' }, ref, 'j-1', { ...pending, from: 'green', to: 'blue' });
    expect(apiOnly.urls).toEqual([`http://acme-abc123-api-blue.${ref.namespace}.svc/health/live`]);
  });

  it('names the Job after the job and the staged release: a retry finds its own, another job or release gets another', () => {
    const name = smokeJobName(ref.tenantId, 'j-1', pending);
    expect(name).toMatch(/^acme-abc123-smoke-[0-9a-f]{10}$/);
    expect(smokeJobName(ref.tenantId, 'j-1', { ...pending })).toBe(name);
    expect(smokeJobName(ref.tenantId, 'j-2', pending)).not.toBe(name);
    expect(smokeJobName(ref.tenantId, 'j-1', { ...pending, next: imagesAtVersion(images, 'v3') })).not.toBe(name);
    // The longest tenant id still leaves a valid Job name (the job-name label is at most 63).
    expect(smokeJobName('a'.repeat(37), 'j-1', pending).length).toBeLessThanOrEqual(63);
  });

  it('fails for good when the check fails or gives no verdict, so the switch is abandoned at once; an API error is retried', async () => {
    const failed = fakeChecks((job) => ({ passed: false, reason: `${job.name} failed: BackoffLimitExceeded` }));
    const error = await runSmokeCheck(check, failed.checks, ref, 'j-1', pending, wait).catch((e: unknown) => e);
    expect(String(error)).toMatch(/smoke check of green failed: .* BackoffLimitExceeded; blue keeps serving/);
    expect(isPermanentFailure(new StepFailedError('smoke-check', error))).toBe(true);

    const silent = fakeChecks(() => new WatchTimeoutError('smoke-check Job', 90, 'running'));
    const timedOut = await runSmokeCheck(check, silent.checks, ref, 'j-1', pending, wait).catch((e: unknown) => e);
    expect(String(timedOut)).toMatch(/no verdict from Job .* within 90 s/);
    expect(isPermanentFailure(timedOut)).toBe(true);

    const unavailable = Object.assign(new Error('service unavailable'), { code: 503 });
    const flaky = fakeChecks(() => unavailable);
    const transient = await runSmokeCheck(check, flaky.checks, ref, 'j-1', pending, wait).catch((e: unknown) => e);
    expect(transient).toBe(unavailable);
    expect(isPermanentFailure(transient)).toBe(false);
  });
});

describe('the converge plan', () => {
  const names = (c: typeof config) =>
    convergeSteps({ config: c } as OperationDeps, 'j-1', 'update', { tenantId: ref.tenantId, namespace: ref.namespace, release: ref.release } as never, {}).map(
      (s) => s.name,
    );

  it('checks between the staged slot ready and the switch when configured, and has no such step otherwise', () => {
    const checked = names({ ...config, provisioning: { ...config.provisioning, blueGreen: { ...config.provisioning.blueGreen, smokeCheck: check } } });
    expect(checked.slice(checked.indexOf('wait-for-web'), checked.indexOf('switch-traffic') + 1)).toEqual(['wait-for-web', 'smoke-check', 'switch-traffic']);
    expect(names(config)).not.toContain('smoke-check');
  });
});

describe('the smoke-check Job', () => {
  const job = smokeJobOf(check, ref, 'j-1', pending);
  const manifest = smokeJobManifest(job);

  it('runs once, within its deadline, expires after its TTL, and carries no secret, token or environment', () => {
    expect(manifest.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 3600 });
    const pod = manifest.spec!.template.spec!;
    expect(pod).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false, enableServiceLinks: false });
    expect(pod.volumes).toBeUndefined();
    const container = pod.containers[0]!;
    expect(container.env).toBeUndefined();
    expect(container.envFrom).toBeUndefined();
    expect(container.image).toBe('curlimages/curl:8.11.1');
    expect(container.command).toEqual(['curl']);
    expect(container.args).toEqual(expect.arrayContaining(['--fail', '--fail-early', ...job.urls]));
    expect(JSON.stringify(manifest)).not.toMatch(/secretKeyRef|secretName|configMapKeyRef|Bearer/);
  });

  it("carries the labels the tenant chart's NetworkPolicy lets through", () => {
    expect(manifest.spec!.template.metadata!.labels).toMatchObject({
      'app.kubernetes.io/instance': ref.release,
      'app.kubernetes.io/component': 'smoke-check',
    });
  });

  it("reads the Job controller's verdict from the Complete and Failed conditions", () => {
    const withCondition = (type: string, status = 'True', reason?: string) => ({
      metadata: { name: 'j' },
      status: { conditions: [{ type, status, reason, lastTransitionTime: new Date() }] },
    });
    expect(jobVerdict(undefined)).toMatchObject({ done: false });
    expect(jobVerdict({ metadata: { name: 'j' }, status: { active: 1 } })).toEqual({ done: false, reason: 'j running (1 active pods)' });
    expect(jobVerdict(withCondition('Complete'))).toEqual({ done: true, value: { passed: true, reason: 'j succeeded' } });
    expect(jobVerdict(withCondition('Failed', 'True', 'DeadlineExceeded'))).toEqual({
      done: true,
      value: { passed: false, reason: 'j failed: DeadlineExceeded' },
    });
    // A terminal condition only: FailureTarget comes first, while the pods are still being removed.
    expect(jobVerdict(withCondition('FailureTarget'))).toMatchObject({ done: false });
    expect(jobVerdict(withCondition('Complete', 'False'))).toMatchObject({ done: false });
  });
});
