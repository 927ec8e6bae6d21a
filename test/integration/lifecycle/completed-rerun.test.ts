import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import type { Config } from '../../../src/config/config.schema.ts';
import { deriveTenantPhase } from '../../../src/lifecycle/phases.ts';
import { startWorker } from '../../support/operations-worker.ts';
import { testConfig } from '../../support/service-deps.ts';
import { requestProvision, secretSnapshot, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

// A chart Helm refuses to render: what a broken chart release looks like to a job run again.
const brokenChart = fileURLToPath(new URL('../../fixtures/charts/rejects-values', import.meta.url));
const kubeconfig = inject('kubeconfig');
const config = testConfig({ kubeconfig, redisUrl: inject('redisUrl') });
// Each test starts the workers it needs.
const harness = useWorkerHarness({ kubeconfig, config, workers: 0 });
const { created } = harness;

/**
 * Finding 1: compensate() removed any tenant whose marker named the failing provision job, even one
 * whose release had long been deployed. A completed provision run again ("Retry" in Bull Board, a
 * stall redelivery) that then failed uninstalled a live tenant and deleted its database.
 */
describe('a completed provision job run again', () => {
  it('fails against a chart that no longer renders, and the tenant stays ready with its release, database and Secrets unchanged', async () => {
    const { deps } = harness;
    const first = await startWorker(deps);
    const t = await requestProvision(deps, 'free', { prefix: 'rr' });
    created.push(t.tenantId);
    expect(await waitForJob(deps.queue, t.jobId)).toBe('completed');
    await first.close();

    const before = { shape: await tenantShape(deps, t.tenantId), secrets: await secretSnapshot(deps, t.namespace) };
    const namespaceUid = (await deps.kube.core.readNamespace({ name: t.namespace })).metadata?.uid;
    expect(before.shape.release).toMatchObject({ status: 'deployed' });

    const broken: Config = { ...config, platform: { ...config.platform, chart: { path: brokenChart } } };
    const second = await startWorker(deps, broken);
    try {
      const job = (await deps.queue.getJob(t.jobId))!;
      await job.retry('completed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      expect(await waitForJob(deps.queue, t.jobId)).toBe('failed');
      const failed = (await deps.queue.getJob(t.jobId))!;
      expect(failed.failedReason).toMatch(/deploy-chart/);
      const log = (await deps.history.read(t.jobId)).flatMap((e) => (e.type === 'log' ? [e.data.message] : []));
      expect(log.join('\n')).toMatch(/kept: this provision completed before/);
    } finally {
      await second.close();
    }

    expect((await deps.kube.core.readNamespace({ name: t.namespace })).metadata?.uid).toBe(namespaceUid);
    expect(await tenantShape(deps, t.tenantId)).toEqual(before.shape);
    expect(await secretSnapshot(deps, t.namespace)).toEqual(before.secrets);
    const tenant = (await deps.registry.get(t.tenantId))!;
    expect(tenant.operation).toMatchObject({ type: 'provision', jobId: t.jobId, state: 'completed' });
    expect(deriveTenantPhase(tenant, true)).toBe('ready');
  });
});
