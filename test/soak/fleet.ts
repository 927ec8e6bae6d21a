import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import type { Config } from '../../src/config/config.schema.ts';
import { down, up } from '../sandbox/cluster.ts';
import { startApiProcess } from '../support/api-process.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../support/config-override.ts';
import { startSentinelTopology, type SentinelTopology } from '../support/sentinel-topology.ts';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { uploadKey } from '../support/export-dump.ts';
import { kubeClients } from '../support/kube.ts';
import { startPlatformStore, type PlatformStore } from '../support/platform-store.ts';
import { TEST_JWT_SECRET, testConfig } from '../support/service-deps.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';
import { SOAK_BILLING } from './drivers/stripe-model.ts';
import { CLOSING_TIER, SOAK_CHART_VERSION, SOAK_TIMINGS } from './soak-timings.ts';
import { packageChartVersions, TENANT_CHART } from '../support/chart-archive.ts';
import { sandboxBinaries } from '../sandbox/versions.ts';

const APIS = 2;
const WORKERS = 3;
// Under the soak's own load (and beside a test run) Node takes long to start: a restarted process
// gets this long to be ready, as a Kubernetes startup probe would give it.
const START_TIMEOUT_MS = 120_000;

type ApiProcess = Awaited<ReturnType<typeof startApiProcess>>;
type ApiSlot = { index: number; port: number; process: ApiProcess | null };
type WorkerSlot = { index: number; process: WorkerProcess | null; metricsUrl: string | null };

/** The configuration every process of the fleet reads: fast lifecycle timings, sentinels, billing, a fast expiry clock. */
function fleetOverride(topology: SentinelTopology, stripeSecret: string, chartArchiveDir: string, store: PlatformStore) {
  return mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('sk')), {
    platform: { chart: { path: TENANT_CHART, archiveDir: chartArchiveDir }, backup: store.backup },
    // An enterprise tenant's removal closes it for a window (its final backup taken); the sweep purges it after.
    tiers: { [CLOSING_TIER]: { offboarding: { retentionSeconds: SOAK_TIMINGS.closedWindowSeconds } } },
    redis: { sentinels: topology.sentinels, name: topology.name },
    queue: { concurrency: 3, tenantLease: { ttlMs: SOAK_TIMINGS.leaseTtlMs, retryMs: 300 } },
    provisioning: {
      expiry: { sweepSeconds: SOAK_TIMINGS.expirySweepSeconds, policy: 'hibernate-then-deprovision', deprovisionAfterSeconds: SOAK_TIMINGS.expiryGraceSeconds },
      reconcile: { sweepSeconds: 2, lostIntentAfterSeconds: 5, stuckAfterSeconds: 60 },
    },
    billing: { ...SOAK_BILLING, webhookSecret: stripeSecret },
    // The drivers and the probe ask several times a second from one address.
    http: { rateLimit: { windowSeconds: 60, maxRequests: 1_000_000 } },
    admin: { insecureCookies: true },
  });
}

async function waitForLogLine(file: string, pid: number, message: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (() => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    })();
    for (const line of text.split('\n')) {
      if (!line.includes(`"msg":"${message}"`)) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry['pid'] === pid) return entry;
    }
    if (Date.now() > deadline) throw new Error(`no '${message}' from pid ${pid} in ${file}`);
    await sleep(100);
  }
}

/**
 * What the soak runs against: a sandbox cluster of its own (its API server is restarted as a fault),
 * Redis with Sentinel (one primary, two replicas, three sentinels), 2 API processes and 3 worker
 * processes, all on loopback. Every process can be killed and started again in its slot; `stop()`
 * ends all of them whatever state the faults left.
 */
export async function startFleet(options: { logDir: string; log?: (line: string) => void }) {
  const log = options.log ?? (() => undefined);
  const sandboxDir = join(options.logDir, 'sandbox');
  const stripeSecret = `whsec_${randomBytes(24).toString('base64url')}`;
  let topology: SentinelTopology | undefined;
  let store: PlatformStore | undefined;
  const apis: ApiSlot[] = [];
  const workers: WorkerSlot[] = [];
  const stopAll = async () => {
    await Promise.all([
      ...apis.map((a) => a.process?.kill9()),
      ...workers.map(async (w) => {
        // A paused worker must be woken for the group's SIGKILL to be reaped promptly.
        w.process?.killNow();
        await w.process?.exited;
      }),
    ]);
    await topology?.stop();
    await store?.stop();
    await down(sandboxDir).catch(() => undefined);
  };
  try {
    const startedAt = Date.now();
    const [sandbox, sentinels] = await Promise.all([up({ dir: sandboxDir, nodes: 1 }), startSentinelTopology({ replicas: 2, logDir: options.logDir })]);
    topology = sentinels;
    const chartArchiveDir = join(sandboxDir, 'chart-archive');
    await packageChartVersions(sandboxBinaries().helm, chartArchiveDir, [SOAK_CHART_VERSION]);
    log(`sandbox and sentinels up in ${Date.now() - startedAt} ms`);
    // The backup tiers' store is a real S3 server, each backup tenant with an account of its own: the account's
    // making and deletion, the preflight, the export's check and its download URL all speak to it.
    const admin = kubeClients(sandbox.kubeconfig);
    store = await startPlatformStore(admin.core, 'soak-store', { accounts: true });
    const platformStore = store;
    const configFile = writeConfigOverride(fleetOverride(topology, stripeSecret, chartArchiveDir, store));
    const config: Config = testConfig({ kubeconfig: sandbox.kubeconfig, redisUrl: '', env: { CONFIG_FILE: configFile, STRIPE_WEBHOOK_SECRET: stripeSecret } });
    const prefix = config.queue.prefix;
    const token = await new SignJWT({ roles: ['superadmin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('soak@example.com')
      .setExpirationTime('12h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));

    const startApi = async (slot: ApiSlot) => {
      slot.process = await startApiProcess({
        kubeconfig: sandbox.kubeconfig,
        configFile,
        prefix,
        logDir: options.logDir,
        name: `api-${slot.index}`,
        port: slot.port || undefined,
        readyTimeoutMs: START_TIMEOUT_MS,
      });
      slot.port = slot.process.port;
    };
    const startWorker = async (slot: WorkerSlot) => {
      const child = spawnWorker({
        kubeconfig: sandbox.kubeconfig,
        redisUrl: '',
        prefix,
        configFile,
        logDir: options.logDir,
        name: `worker-${slot.index}`,
        // The store is real here: each backup tier's provision makes its marker round trip.
        env: { BACKUP_PREFLIGHT: 'true' },
      });
      slot.process = child;
      slot.metricsUrl = null;
      await waitForLogLine(child.log, child.pid, 'worker started', START_TIMEOUT_MS);
      const listening = await waitForLogLine(child.log, child.pid, 'health server listening', START_TIMEOUT_MS);
      slot.metricsUrl = `${String(listening['url'])}/metrics`;
    };
    for (let index = 0; index < APIS; index++) apis.push({ index, port: 0, process: null });
    for (let index = 0; index < WORKERS; index++) workers.push({ index, process: null, metricsUrl: null });
    await Promise.all([...apis.map(startApi), ...workers.map(startWorker)]);
    log(`${APIS} APIs and ${WORKERS} workers up (prefix ${prefix}); logs in ${options.logDir}`);

    return {
      config,
      kubeconfig: sandbox.kubeconfig,
      sandboxDir,
      topology,
      token,
      stripeSecret,
      logDir: options.logDir,
      apis,
      workers,
      apiUrls: () => apis.flatMap((a) => (a.process ? [{ index: a.index, url: a.process.baseUrl }] : [])),
      /** Where each live process serves its metrics: `api-<i>`/`worker-<i>` and its pid. */
      metricsUrls: () => [
        ...apis.flatMap((a) => (a.process ? [{ name: `api-${a.index}`, pid: a.process.pid, url: `${a.process.baseUrl}/metrics` }] : [])),
        ...workers.flatMap((w) => (w.process && w.metricsUrl ? [{ name: `worker-${w.index}`, pid: w.process.pid, url: w.metricsUrl }] : [])),
      ],
      /** SIGKILL of one API process (the drivers stop choosing it at once), then the same API again on its port. */
      async killApi(index: number, downMs: number) {
        const slot = apis[index]!;
        const process = slot.process;
        slot.process = null;
        await process?.kill9();
        await sleep(downMs);
        await startApi(slot);
      },
      /** SIGKILL of one worker's process group (its Helm children die with it), then a new worker in its slot. */
      async killWorker(index: number, downMs: number) {
        const slot = workers[index]!;
        await slot.process?.kill9();
        slot.process = null;
        await sleep(downMs);
        await startWorker(slot);
      },
      /**
       * What an export's upload would do (KWOK runs no container): once its Job is there, the dump is
       * put at the Job's key with the platform's keys. Whether that lands before the job checks the
       * store is a race the soak leaves to chance: completed or failed with a reason, both are ends.
       */
      async uploadExport(namespace: string, exportId: string, until: AbortSignal) {
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline && !until.aborted) {
          const job = await admin.batch.readNamespacedJob({ namespace, name: exportId }).catch(() => undefined);
          if (job) {
            const s3 = new S3Client({
              endpoint: platformStore.store.endpoint,
              region: platformStore.store.region,
              forcePathStyle: true,
              credentials: platformStore.user,
            });
            await s3
              .send(new PutObjectCommand({ Bucket: platformStore.store.bucket, Key: uploadKey(job, platformStore), Body: `PGDMP ${exportId}` }))
              .finally(() => s3.destroy());
            return true;
          }
          await sleep(100);
        }
        return false;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export type Fleet = Awaited<ReturnType<typeof startFleet>>;
