import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RolloutProgress, rolloutProgress } from '../../../src/api/rollouts/rollout-progress.schema.ts';
import { RolloutRequest } from '../../../src/domain/rollout.ts';
import { createRollout, tickRollout } from '../../../src/lifecycle/rollouts.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { requestProvision, rolloutDeps, waitForJob } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { followSse } from '../../unit/api/support/sse-follow.ts';
import type { SseMessage } from '../../unit/api/support/sse.ts';
import { startApi, type ApiServer } from './support/api-server.ts';

// The rollout event stream against a real rollout: two tenants on the sandbox, updated blue-green by
// a real worker, the rollout ticked by the test as the sweep would, and the API (a real HTTP server)
// reading the rollout's ConfigMap on its own, as another replica would.
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const override = mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('rev')), {
  queue: { attempts: 1, concurrency: 2 },
  timeouts: { waitForApi: 12, waitForWeb: 12 },
});
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(override) } });
const harness = useWorkerHarness({ kubeconfig, config, workers: 1 });
let api: ApiServer;

beforeAll(async () => {
  api = await startApi({
    kubeconfig,
    redisUrl,
    config: (c) => {
      // The same installation (its rollout index), read once a second.
      c.platform = { ...c.platform, namespacePrefix: config.platform.namespacePrefix, releasePrefix: config.platform.releasePrefix };
      c.provisioning.rollouts.tickSeconds = 1;
    },
  });
});

afterAll(async () => {
  await api?.close();
});

const events = (m: SseMessage[]) => m.filter((x) => x.event !== undefined);
const progressOf = (m: SseMessage) => RolloutProgress.parse(JSON.parse(m.data!));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /api/rollouts/{rolloutId}/events on the sandbox', () => {
  it('follows a real rollout: a snapshot per change, a reconnect with Last-Event-ID, and a final event when it completes', async () => {
    const { deps } = harness;
    const provisions = await Promise.all([0, 1].map(() => requestProvision(deps, 'free', { prefix: 'rev' })));
    harness.created.push(...provisions.map((p) => p.tenantId));
    for (const p of provisions) expect(await waitForJob(deps.queue, p.jobId, 300_000)).toBe('completed');
    const rollout = await createRollout(
      rolloutDeps(deps),
      RolloutRequest.parse({ target: { appVersion: 'v2' }, strategy: { canary: { count: 1 }, waves: ['100%'], maxParallel: 1, bakeSeconds: 1 } }),
      'ops',
    );
    expect(rollout.waves.map((w) => w.tenantIds.length)).toEqual([1, 1]);
    const read = async () => (await deps.rollouts.read(rollout.id))!;
    const tick = () => tickRollout(rolloutDeps(deps), rollout.id);
    const path = `/api/rollouts/${rollout.id}/events`;

    // An unknown rollout: 404 problem+json from the error table.
    const missing = await api.call('/api/rollouts/0000000000/events');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 404, detail: 'No rollout 0000000000' });

    // First connection: the current snapshot at once, then one per change as the rollout moves.
    const first = new AbortController();
    const res = await api.call(path, { signal: first.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const stream = followSse(res.body!);
    const [opening] = events(await stream.until((m) => events(m).length === 1));
    expect(opening).toMatchObject({ event: 'progress', id: (await read()).resourceVersion });
    expect(progressOf(opening!)).toEqual(rolloutProgress(rollout));
    expect(progressOf(opening!)).toMatchObject({ state: 'running', currentWave: { index: 0, name: 'canary' }, totals: { total: 2, waiting: 2 } });
    // Driven as the sweep drives it, until the canary has passed its update: the stream shows each step.
    for (const deadline = Date.now() + 180_000; (await read()).rollout.tenants[rollout.waves[0]!.tenantIds[0]!]!.state !== 'succeeded'; await sleep(1_000)) {
      if (Date.now() > deadline) throw new Error('the canary did not finish its update');
      await tick();
    }
    const seen = events(await stream.until((m) => events(m).some((e) => progressOf(e).waves[0]!.succeeded === 1), 10_000));
    expect(seen.some((e) => progressOf(e).totals.updating === 1)).toBe(true);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    first.abort();
    const lastSeen = seen.at(-1)!.id!;

    // While it is away, the rollout moves (every tick writes the record).
    await tick();
    const moved = await read();
    expect(moved.resourceVersion).not.toBe(lastSeen);

    // A reconnect with the current id gets nothing until the record changes (the API reads it once a second).
    const quiet = new AbortController();
    const upToDate = followSse((await api.call(path, { headers: { 'Last-Event-ID': moved.resourceVersion }, signal: quiet.signal })).body!);
    await sleep(2_500);
    expect(events(upToDate.messages())).toEqual([]);
    await tick();
    const after = await read();
    expect(events(await upToDate.until((m) => events(m).length === 1, 5_000))[0]).toMatchObject({ id: after.resourceVersion });
    quiet.abort();

    // A reconnect with the id last seen gets the current snapshot at once, then follows to the end.
    const resumed = followSse((await api.call(path, { headers: { 'Last-Event-ID': lastSeen } })).body!);
    const [current] = events(await resumed.until((m) => events(m).length === 1, 5_000));
    expect(current).toMatchObject({ event: 'progress', id: after.resourceVersion });
    expect(progressOf(current!)).toEqual(rolloutProgress(after.rollout));
    for (const deadline = Date.now() + 180_000; (await read()).rollout.state === 'running'; await sleep(1_000)) {
      if (Date.now() > deadline) throw new Error('the rollout did not end');
      await tick();
    }
    const done = await read();
    expect(done.rollout).toMatchObject({ state: 'completed', reason: 'every wave passed' });
    await resumed.until(() => resumed.closed, 10_000);
    const all = events(resumed.messages());
    expect(all.at(-1)).toMatchObject({ event: 'finished', id: done.resourceVersion });
    expect(progressOf(all.at(-1)!)).toMatchObject({ state: 'completed', currentWave: null, totals: { total: 2, succeeded: 2, updating: 0, waiting: 0 } });
    expect(all.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
    const succeeded = all.map((e) => progressOf(e).totals.succeeded);
    expect(succeeded).toEqual([...succeeded].sort((a, b) => a - b));

    // After the final event: 204 (EventSource stops); a new client gets the final event and the end.
    expect((await api.call(path, { headers: { 'Last-Event-ID': done.resourceVersion } })).status).toBe(204);
    const late = followSse((await api.call(path)).body!);
    await late.until(() => late.closed, 5_000);
    expect(events(late.messages()).map((e) => [e.event, e.id])).toEqual([['finished', done.resourceVersion]]);
    console.warn(`rollout events: ${all.length} events on the resumed stream, ${seen.length} before the disconnect`);
  }, 600_000);
});
