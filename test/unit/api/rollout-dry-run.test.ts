import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RolloutDryRun } from '../../../src/api/rollouts/rollout-dry-run.ts';
import { RolloutRequest } from '../../../src/domain/rollout.ts';
import type { HelmClient, InstallRequest } from '../../../src/helm/helm-client.ts';
import { HelmError } from '../../../src/helm/helm-error.ts';
import { dryRunRollout, type RolloutDryRunLimits } from '../../../src/lifecycle/rollout-dry-run.ts';
import { problemOf, testApp, type TestApp } from './support/harness.ts';
import { runningVersion } from './support/running-version.ts';

const running = (app: string) => runningVersion(app, { slot: 'blue' });
const service = (id: string, slot: string) => `---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ${id}-api\nspec:\n  selector:\n    slot: ${slot}\n`;
const idOf = (release: string) => release.replace(/^.*?(shop-)/, '$1');

/**
 * Helm per release: the live release serves blue, the render switches to green. A release can be
 * made to fail (`failing`), and every call can be held (`delayMs`, or until its signal aborts).
 */
class ReleaseHelm implements Pick<HelmClient, 'status' | 'version' | 'template' | 'manifest'> {
  readonly failing = new Map<string, { in: 'template' | 'manifest'; error: Error }>();
  delayMs = 0;
  hang = false;
  private readonly active = new Map<string, number>();
  peak = 0;
  private async hold<T>(release: string, signal: AbortSignal | undefined, answer: () => T): Promise<T> {
    this.active.set(release, (this.active.get(release) ?? 0) + 1);
    this.peak = Math.max(this.peak, this.active.size);
    try {
      if (this.hang) await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new HelmError('template', undefined, '', true))));
      await sleep(this.delayMs);
      return answer();
    } finally {
      const left = this.active.get(release)! - 1;
      if (left === 0) this.active.delete(release);
      else this.active.set(release, left);
    }
  }
  async status() {
    return undefined;
  }
  async version() {
    return 'v4.0.0';
  }
  async template(request: InstallRequest) {
    return this.hold(request.release, request.signal, () => {
      const failure = this.failing.get(idOf(request.release));
      if (failure?.in === 'template') throw failure.error;
      const id = idOf(request.release);
      return `${service(id, 'green')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${id}-api-green\n`;
    });
  }
  async manifest(release: string, _namespace: string, signal?: AbortSignal) {
    return this.hold(release, signal, () => {
      const failure = this.failing.get(idOf(release));
      if (failure?.in === 'manifest') throw failure.error;
      return service(idOf(release), 'blue');
    });
  }
}

async function fleet(helm = new ReleaseHelm()) {
  const t = await testApp({ deps: { helm } });
  for (const id of ['shop-a', 'shop-b', 'shop-c', 'shop-d']) t.registry.seed(id, { running: running('v1') });
  t.registry.seed('shop-e', { running: running('v2') });
  t.registry.seed('shop-f', {
    running: running('v1'),
    pin: { version: { chart: '0.2.0', app: 'v1' }, reason: 'audit', pinnedBy: 'x', pinnedAt: '2026-03-01T00:00:00.000Z' },
  });
  return { t, helm };
}

const rendered = (id: string, wave: string) => ({
  tenantId: id,
  wave,
  outcome: 'rendered',
  switch: { from: 'blue', to: 'green' },
  changes: [
    { kind: 'Deployment', name: `${id}-api-green`, action: 'create', paths: [] },
    { kind: 'Service', name: `${id}-api`, action: 'update', paths: ['spec.selector.slot'] },
  ],
});

/** The assembly alone, as the route calls it, with limits a test chooses. */
const dryRun = (t: TestApp, helm: ReleaseHelm, limits: Partial<RolloutDryRunLimits>, body: object = { target: { appVersion: 'v2' } }) =>
  dryRunRollout(
    { config: t.config, tenants: t.registry, producer: t.queue, workloads: t.cluster.workloads, helm, dryRunLimits: limits },
    RolloutRequest.parse(body),
  );

describe('POST /api/rollouts?dryRun=true', () => {
  it('answers 200 with the plan and each planned tenant’s diff, a failed render as its problem, recording and queueing nothing', async () => {
    const { t, helm } = await fleet();
    helm.failing.set('shop-c', { in: 'template', error: new HelmError('template', 1, "Error: values don't meet the specifications of the schema(s)") });
    helm.failing.set('shop-d', { in: 'manifest', error: new HelmError('get manifest', 1, 'Error: dial tcp: connection refused') });
    const tenantsBefore = structuredClone(t.registry.tenants);
    const body = { target: { appVersion: 'v2' }, strategy: { waves: ['50%'], maxParallel: 2 } };
    const res = await t.call('/api/rollouts?dryRun=true', { body });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as RolloutDryRun;
    expect(answer).toEqual({
      dryRun: true,
      request: RolloutRequest.parse(body),
      // The plan the real create freezes (rollouts.test.ts), from the same planner.
      waves: [
        { name: 'canary', tenantIds: ['shop-a'], canary: true },
        { name: 'wave-1', tenantIds: ['shop-b', 'shop-c'], canary: false },
        { name: 'wave-2', tenantIds: ['shop-d'], canary: false },
      ],
      skipped: [
        { tenantId: 'shop-e', reason: 'already on the target' },
        { tenantId: 'shop-f', reason: 'pinned to 0.2.0/v1' },
      ],
      limits: { maxTenants: 10, concurrency: 2, deadlineMs: 25_000 },
      tenants: [
        rendered('shop-a', 'canary'),
        rendered('shop-b', 'wave-1'),
        {
          tenantId: 'shop-c',
          wave: 'wave-1',
          outcome: 'failed',
          problem: {
            type: 'tag:tenant-provisioner,2026:problem:validation_failed',
            title: 'Validation failed',
            status: 422,
            detail: "The change to tenant shop-c cannot be made: chart values don't meet the specifications of the schema(s)",
            errors: [{ path: 'chart', message: "values don't meet the specifications of the schema(s)" }],
          },
        },
        {
          tenantId: 'shop-d',
          wave: 'wave-2',
          outcome: 'failed',
          problem: {
            type: 'tag:tenant-provisioner,2026:problem:dependency_unavailable',
            title: 'Dependency unavailable',
            status: 503,
            detail: 'The Kubernetes API is unavailable; try again shortly',
          },
        },
      ],
    });
    // Nothing recorded, nothing queued, no tenant written.
    expect(t.rollouts.records.size).toBe(0);
    expect(t.queue.jobs.size).toBe(0);
    expect(t.registry.tenants).toEqual(tenantsBefore);
    expect(t.registry.calls.filter((c) => !/^(get|read|list|findBy) /.test(c))).toEqual([]);
  });

  it('refuses as the create does: 409 for a canary outside the selection, 422 for a bad body or dryRun value; dryRun=false creates', async () => {
    const { t } = await fleet();
    const outside = await problemOf(
      await t.call('/api/rollouts?dryRun=true', { body: { target: { appVersion: 'v2' }, strategy: { canary: { tenantIds: ['shop-f'] } } } }),
      409,
    );
    expect(outside.detail).toBe('canary tenants not in the selection: shop-f');
    await problemOf(await t.call('/api/rollouts?dryRun=true', { body: { target: { appVersion: 'latest' } } }), 422);
    await problemOf(await t.call('/api/rollouts?dryRun=yes', { body: { target: { appVersion: 'v2' } } }), 422);
    expect(t.rollouts.records.size).toBe(0);
    // Nobody to update: the plan is empty and so is the list of diffs.
    const none = await t.call('/api/rollouts?dryRun=true', { body: { target: { appVersion: 'v1' }, selector: { tenantIds: ['shop-f'] } } });
    expect(await none.json()).toMatchObject({ waves: [], skipped: [{ tenantId: 'shop-f', reason: 'pinned to 0.2.0/v1' }], tenants: [] });
    expect((await t.call('/api/rollouts?dryRun=false', { body: { target: { appVersion: 'v2' } } })).status).toBe(202);
    expect(t.rollouts.records.size).toBe(1);
    expect(t.queue.jobs.size).toBe(0);
  });

  it('renders at most `concurrency` tenants at once and only the first `maxTenants` in wave order; the rest are listed with the reason', async () => {
    const { t, helm } = await fleet();
    helm.delayMs = 20;
    const result = await dryRun(t, helm, { maxTenants: 3, concurrency: 2 });
    expect(helm.peak).toBe(2);
    expect(result.tenants.map((x) => [x.tenantId, x.outcome])).toEqual([
      ['shop-a', 'rendered'],
      ['shop-b', 'rendered'],
      ['shop-c', 'rendered'],
      ['shop-d', 'not-rendered'],
    ]);
    expect(result.tenants[3]).toMatchObject({ wave: 'wave-1', reason: 'beyond the first 3 planned tenants a dry run renders' });
    const one = await dryRun(t, helm, { concurrency: 1 });
    expect(one.tenants.every((x) => x.outcome === 'rendered')).toBe(true);
  });

  it('stops at its deadline: Helm children still running are killed and every tenant not done is listed as not rendered', async () => {
    const { t, helm } = await fleet();
    helm.hang = true;
    const started = Date.now();
    const result = await dryRun(t, helm, { deadlineMs: 200, concurrency: 2 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.tenants.map((x) => x.outcome)).toEqual(['not-rendered', 'not-rendered', 'not-rendered', 'not-rendered']);
    expect(result.tenants[0]).toMatchObject({ reason: "not rendered within the dry run's deadline of 0.2 s" });
    expect(t.rollouts.records.size).toBe(0);
  });
});
