import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tenantSecretNames } from '../../../src/domain/tenant-secrets.ts';
import { requestUpdate } from '../../../src/lifecycle/intake.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { releaseStatusSeen } from '../../support/release-watch.ts';
import { lifecycleDeps, requestProvision, secretSnapshot, tenantShape, waitForJob } from '../../support/tenants.ts';
import type { WorkerProcess } from '../../support/worker-process.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { PROVISION_STEPS } from '../../support/provision-steps.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const configFile = writeConfigOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('wk')));
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: configFile } });
const logDir = mkdtempSync(join(tmpdir(), 'tp-worker-kill-'));
const harness = useWorkerHarness({ kubeconfig, config, workers: 0, processes: { configFile, logDir } });
const { created } = harness;
let current: WorkerProcess;
const figures: Array<Record<string, unknown>> = [];

const freshWorker = () => harness.spawnWorker();

beforeAll(() => {
  current = freshWorker();
});

afterAll(() => {
  console.warn(`worker kill figures (logs in ${logDir}):\n${figures.map((f) => JSON.stringify(f)).join('\n')}`);
});

/** Polls the job's durable history until `step` has started. */
async function stepStarted(jobId: string, step: string, timeoutMs = 60_000) {
  const { deps } = harness;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const events = await deps.history.read(jobId);
    if (events.some((e) => e.type === 'progress' && e.data.step === step && e.data.message === `${step} started`)) return;
    await sleep(10);
  }
  throw new Error(`step ${step} of job ${jobId} never started`);
}

async function killAndReplace() {
  await current.kill9();
  const killedAt = Date.now();
  current = freshWorker();
  return killedAt;
}

describe.sequential('kill -9 of a worker process, then a fresh worker', () => {
  it.each(PROVISION_STEPS.map((step, i) => [i + 1, step] as const))(
    'step %i (%s): the provision ends ready with one namespace, the same Secrets, no pending release',
    async (_n, step) => {
      const { deps } = harness;
      const t = await requestProvision(deps, 'free', { prefix: 'k' });
      created.push(t.tenantId);
      // The watch is up long before the job's deploy step (its first event lists what exists), so the
      // short-lived pending-install record cannot be missed.
      const victim = current;
      const pending = step === 'deploy-chart' ? releaseStatusSeen(deps.kube.kc, t.namespace, t.release, 'pending-install', victim.killNow) : undefined;
      await stepStarted(t.jobId, step);
      const secrets = await secretSnapshot(deps, t.namespace);
      const midHelm = pending ? await pending.seen : undefined;
      const killedAt = await killAndReplace();

      expect(await waitForJob(deps.queue, t.jobId, 90_000)).toBe('completed');
      const recoveredMs = Date.now() - killedAt;
      const shape = await tenantShape(deps, t.tenantId);
      expect(shape).toMatchObject({
        namespaces: 1,
        release: { status: 'deployed' },
        database: { readyInstances: 1 },
        api: { replicas: 1, ready: 1 },
        web: { replicas: 1, ready: 1 },
      });
      const after = await secretSnapshot(deps, t.namespace);
      for (const [name, before] of Object.entries(secrets)) expect(after[name], name).toEqual(before);
      const names = tenantSecretNames(t.tenantId);
      expect(Object.keys(after).sort()).toEqual([names.admin, names.app, names.database].sort());
      const history = await deps.helm.history(t.release, t.namespace);
      expect(history.some((h) => h.status.startsWith('pending-'))).toBe(false);
      expect((await deps.registry.get(t.tenantId))?.operation).toMatchObject({ type: 'provision', jobId: t.jobId, state: 'completed' });
      const log = (await deps.history.read(t.jobId)).flatMap((e) => (e.type === 'log' ? [e.data.message] : []));
      figures.push({
        step,
        midHelm,
        secretsBeforeKill: Object.keys(secrets).length,
        recoveredMs,
        helm: history.map((h) => `${h.revision}:${h.status}`).join(' '),
        recovery: log.find((m) => /was left pending/.test(m)),
      });
    },
  );

  it('13 tenants, 13 namespaces: no duplicate was created by a retried job', async () => {
    const { deps } = harness;
    const namespaces = await deps.kube.core.listNamespace({ labelSelector: 'app.kubernetes.io/managed-by=tenant-provisioner' });
    const ours = namespaces.items.filter((ns) => ns.metadata!.name!.startsWith(config.platform.namespacePrefix));
    expect(ours.map((ns) => ns.metadata!.name).sort()).toEqual(created.map((id) => `${config.platform.namespacePrefix}${id}`).sort());
  });

  it('during helm upgrade of an update: the update completes, the database object and Secrets are the same, nothing is left pending', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'professional', { prefix: 'ku' });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    const secrets = await secretSnapshot(deps, t.namespace);
    const before = await tenantShape(deps, t.tenantId);
    const pending = releaseStatusSeen(deps.kube.kc, t.namespace, t.release, 'pending-upgrade', current.killNow);
    await pending.ready;
    const accepted = await requestUpdate(lifecycleDeps(deps), t.tenantId, { subscriptionTier: 'enterprise' });
    const midHelm = await pending.seen;
    const killedAt = await killAndReplace();

    expect(await waitForJob(deps.queue, accepted.jobId, 90_000)).toBe('completed');
    const recoveredMs = Date.now() - killedAt;
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({
      namespaces: 1,
      release: { status: 'deployed' },
      database: { uid: before.database!.uid, instances: 3, readyInstances: 3 },
      api: { replicas: 3, ready: 3 },
      web: { replicas: 3, ready: 3 },
    });
    expect(await secretSnapshot(deps, t.namespace)).toEqual(secrets);
    // Helm's rollback supersedes only deployed revisions: the interrupted one keeps its pending-upgrade
    // label in history, but the release is deployed and nothing after the recovery is pending.
    const history = await deps.helm.history(t.release, t.namespace);
    const interrupted = history.filter((h) => h.status.startsWith('pending-'));
    expect(interrupted.length).toBeLessThanOrEqual(1);
    expect(history.filter((h) => h.revision > (interrupted[0]?.revision ?? 0)).every((h) => h.status === 'deployed' || h.status === 'superseded')).toBe(true);
    expect(history.at(-1)?.status).toBe('deployed');
    const log = (await deps.history.read(accepted.jobId)).flatMap((e) => (e.type === 'log' ? [e.data.message] : []));
    figures.push({
      step: 'update upgrade-release',
      midHelm,
      recoveredMs,
      helm: history.map((h) => `${h.revision}:${h.status}`).join(' '),
      recovery: log.find((m) => /was left pending/.test(m)),
    });
  });
});
