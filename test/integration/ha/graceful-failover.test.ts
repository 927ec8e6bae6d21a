import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { TEST_JWT_SECRET, testConfig } from '../../support/service-deps.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { mintToken } from '../../unit/api/support/tokens.ts';
import { startApiProcess } from '../../support/api-process.ts';
import { startSentinelTopology, type SentinelTopology } from '../../support/sentinel-topology.ts';

// A planned failover (SENTINEL FAILOVER): the old primary is demoted, not killed, so the API's
// connections are dropped by it or answered READONLY until they ask the sentinels again. Every
// intake probe writes (its Idempotency-Key claim) before the cluster refuses it (409, the tenant
// exists), so a connection still on the demoted primary would show as a 500 if READONLY escaped.
const kubeconfig = inject('kubeconfig');
const processes = { configFile: '', logDir: mkdtempSync(join(tmpdir(), 'tp-ha-graceful-')) };
let topology: SentinelTopology | undefined;

beforeAll(async () => {
  topology = await startSentinelTopology();
  processes.configFile = writeConfigOverride(
    mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('hg')), {
      redis: { sentinels: topology.sentinels, name: topology.name },
      http: { rateLimit: { windowSeconds: 60, maxRequests: 100_000 } },
    }),
  );
});
afterAll(async () => {
  await topology?.stop();
});

const harness = useWorkerHarness({
  kubeconfig,
  workers: 0,
  processes,
  config: () => testConfig({ kubeconfig, redisUrl: '', env: { CONFIG_FILE: processes.configFile } }),
});

let api: Awaited<ReturnType<typeof startApiProcess>> | undefined;
beforeAll(async () => {
  api = await startApiProcess({ kubeconfig, configFile: processes.configFile, prefix: harness.deps.config.queue.prefix, logDir: processes.logDir });
});
afterAll(async () => {
  await api?.stop();
});

describe('a planned Redis failover', () => {
  it('answers 503 or the usual answer throughout, never another 5xx, and is back on the new primary', async () => {
    const t = topology!;
    const token = await mintToken({}, TEST_JWT_SECRET);
    const tenantId = `hg-${randomBytes(3).toString('hex')}`;
    harness.created.push(tenantId);
    await harness.deps.registry.create({
      tenantId,
      companyName: 'Planned Failover',
      ownerEmail: 'owner@failover.test',
      ownerName: 'Ada Lovelace',
      customDomain: null,
      stripeCustomerId: null,
      stripeSubscriptionId: null,
      expiresAt: null,
      desired: { tier: 'demo', customDomain: null, resourceOverrides: {}, hibernated: false },
      operation: { type: 'provision', jobId: randomUUID(), state: 'completed', at: new Date().toISOString() },
    });
    const body = JSON.stringify({
      companyName: 'Planned Failover',
      ownerEmail: 'owner@failover.test',
      ownerFirstName: 'Ada',
      ownerLastName: 'Lovelace',
      subscriptionTier: 'demo',
      tenantId,
    });
    const samples: Array<{ at: number; intake: number; job: number }> = [];
    let running = true;
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${api!.baseUrl}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
        signal: AbortSignal.timeout(5_000),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
    const loop = (async () => {
      while (running) {
        const at = Date.now();
        const [intake, job] = await Promise.all([
          call('/api/provisioning/provision', { method: 'POST', body, headers: { 'Idempotency-Key': randomUUID() } }),
          call(`/api/jobs/${randomUUID()}`),
        ]);
        samples.push({ at, intake, job });
        await sleep(Math.max(0, 50 - (Date.now() - at)));
      }
    })();

    const primary = await t.primaryPort();
    await sleep(500);
    const started = Date.now();
    // Any sentinel may run it; the replica is in sync, so nothing is lost.
    await t.synced(primary);
    await t.on(Number(t.sentinels[0]!.split(':')[1]), (r) => r.call('SENTINEL', 'FAILOVER', t.name));
    const promoted = await t.waitForNewPrimary(primary);
    const switched = Date.now();
    const deadline = Date.now() + 20_000;
    while (!samples.some((s) => s.at > switched && s.intake === 409 && s.job === 404)) {
      if (Date.now() > deadline) throw new Error('the API did not come back after the failover');
      await sleep(50);
    }
    await sleep(1_000);
    running = false;
    await loop;

    expect(promoted).not.toBe(primary);
    // The sentinels turn the demoted primary into the new one's replica shortly after the switch,
    // and end every client connection on it as they do (CLIENT KILL TYPE normal): a probe caught
    // in that is asked again.
    const roleOfOldPrimary = async () => t.infoField(await t.info(primary, 'replication').catch(() => ''), 'role');
    const demoted = Date.now() + 20_000;
    while ((await roleOfOldPrimary()) !== 'slave' && Date.now() < demoted) await sleep(100);
    expect(await roleOfOldPrimary(), 'the old primary is a replica now').toBe('slave');
    const unavailable = samples.filter((s) => s.intake === 503 || s.job === 503);
    const statuses = [...new Set(samples.flatMap((s) => [s.intake, s.job]))].sort();
    console.warn(
      `planned failover: new primary named ${switched - started} ms after SENTINEL FAILOVER; ${unavailable.length} of ${samples.length} probe rounds saw 503 ` +
        `(over ${unavailable.length ? unavailable.at(-1)!.at - unavailable[0]!.at : 0} ms); statuses ${statuses}`,
    );
    expect(
      statuses.filter((s) => ![409, 404, 503].includes(s)),
      'only the usual answers and 503',
    ).toEqual([]);
    expect(samples.slice(-5).every((s) => s.intake === 409 && s.job === 404)).toBe(true);
  });
});
