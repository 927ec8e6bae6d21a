import { describe, expect, inject, it } from 'vitest';
import { requestHibernate, requestResume, requestUpdate } from '../../../src/lifecycle/intake.ts';
import { FAST_LIFECYCLE, ownPrefixes, mergeOverride, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { lifecycleDeps, requestProvision, tenantShape, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const kubeconfig = inject('kubeconfig');
const config = testConfig({
  kubeconfig,
  redisUrl: inject('redisUrl'),
  env: { CONFIG_FILE: writeConfigOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('om'))) },
});
// Two workers with four slots each: nothing but the tenant lease keeps this tenant's jobs apart.
const harness = useWorkerHarness({ kubeconfig, config, workers: 2 });
const { created } = harness;

/** When a job ran: from its first step to its terminal event (stream ids are millisecond timestamps). */
async function span(jobId: string) {
  const { deps } = harness;
  const events = await deps.history.read(jobId);
  const at = (id: string) => Number(id.split('-')[0]);
  const first = events.find((e) => e.type === 'progress');
  const last = events.find((e) => e.type === 'completed' || e.type === 'failed');
  return { jobId, start: at(first!.id), end: at(last!.id), waited: events.some((e) => e.type === 'log' && /waiting .* for its turn/.test(e.data.message)) };
}

describe('one mutating job per tenant', () => {
  it('runs a burst of requests for one tenant one at a time, drops none, and ends at the latest desired state', async () => {
    const { deps } = harness;
    const t = await requestProvision(deps, 'free', { prefix: 'om' });
    created.push(t.tenantId);
    const lc = lifecycleDeps(deps);
    // Queued while the provision may still be running.
    const jobs = [
      t.jobId,
      (await requestUpdate(lc, t.tenantId, { subscriptionTier: 'professional' })).jobId,
      (await requestHibernate(lc, t.tenantId)).jobId,
      (await requestUpdate(lc, t.tenantId, { customDomain: 'shop.example.com' })).jobId,
      (await requestResume(lc, t.tenantId)).jobId,
      (await requestUpdate(lc, t.tenantId, { subscriptionTier: 'enterprise' })).jobId,
    ];
    for (const id of jobs) expect(await waitForJob(deps.queue, id, 120_000)).toBe('completed');
    const spans = (await Promise.all(jobs.map(span))).sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i]!.start, `${spans[i]!.jobId} overlaps ${spans[i - 1]!.jobId}`).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    expect(spans.some((s) => s.waited)).toBe(true);
    expect(await tenantShape(deps, t.tenantId)).toMatchObject({
      namespaces: 1,
      release: { status: 'deployed' },
      database: { instances: 3, hibernated: false },
      api: { replicas: 3, ready: 3 },
      web: { replicas: 3, ready: 3 },
    });
    expect((await deps.registry.get(t.tenantId))!.desired).toEqual({
      tier: 'enterprise',
      customDomain: 'shop.example.com',
      resourceOverrides: {},
      hibernated: false,
    });
    console.warn(
      `one mutator: ${spans.length} jobs, ${spans.filter((s) => s.waited).length} waited their turn, none overlapped; total ${spans.at(-1)!.end - spans[0]!.start} ms`,
    );
  });
});
