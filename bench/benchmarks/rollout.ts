// Item 8 (issue 14): one fleet rollout of N tenants at maxParallel P through the service (blue-green
// per tenant: stage the new slot, wait for it, switch the Services), against a bare loop of
// `helm upgrade` + `kubectl rollout status` over N other tenants at the same parallelism. Both sides
// start from tenants on the configured version and move them to the same new tag, on one sandbox.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config.schema.ts';
import { OPERATIONS_QUEUE } from '../../src/jobs/job-catalog.ts';
import type { Rollout } from '../../src/domain/rollout.ts';
import { imagesAtVersion, stackImagesOf } from '../../src/domain/slots.ts';
import { tenantChartValues } from '../../src/lifecycle/tenant-values.ts';
import { prepareBare, runBare, runScript, type BareTenant } from '../lib/bare.ts';
import {
  BENCH_CONFIG_BASE,
  api,
  benchCluster,
  benchPrefix,
  benchRedis,
  binaries,
  deleteNamespaces,
  followEvents,
  kubeFor,
  now,
  pool,
  startService,
  type ReceivedEvent,
  type Service,
} from '../lib/env.ts';
import { provisionViaService } from '../lib/provision.ts';
import { BENCH_DIR, REPO_DIR, cpuMeter, log, machine, median, round, summary, toolVersions, writeResult, type BenchResult } from '../lib/report.ts';

const BARE_UPGRADE = join(BENCH_DIR, 'baselines', 'bare-upgrade.sh');
const TARGET_VERSION = 'v2';
const TARGET_RATIO = 1.15;

export async function rollout(): Promise<BenchResult> {
  const tenants = Number(process.env.BENCH_ROLLOUT_TENANTS ?? 200);
  const parallel = Number(process.env.BENCH_ROLLOUT_PARALLEL ?? 10);
  const startedAt = new Date();
  const m = machine(toolVersions(binaries()));
  const cpu = cpuMeter();
  const cluster = await benchCluster('fast');
  const redis = await benchRedis();
  const prefix = benchPrefix('r');
  const kube = kubeFor(cluster.kubeconfig);
  const queuePrefix = `br${randomBytes(3).toString('hex')}`;
  // One tick a second moves the rollout; the sweeps that would touch the tenants run a day apart.
  const config = {
    ...BENCH_CONFIG_BASE,
    platform: { namespacePrefix: prefix, releasePrefix: prefix },
    queue: { concurrency: parallel },
    provisioning: { rollouts: { tickSeconds: 1 }, expiry: { sweepSeconds: 86_400 }, reconcile: { sweepSeconds: 86_400 } },
  };
  const apiProcess = await startService({ mode: 'api', kubeconfig: cluster.kubeconfig, redisUrl: redis.url, queuePrefix, config });
  const worker = await startService({ mode: 'worker', kubeconfig: cluster.kubeconfig, redisUrl: redis.url, queuePrefix, config });
  const failures: string[] = [];
  let result: BenchResult;
  try {
    // Setup, not measured: N tenants through the service, N through the bare provision script.
    const serviceIds = Array.from({ length: tenants }, (_, i) => `rs${i}-${randomBytes(2).toString('hex')}`);
    let t0 = now();
    await pool(serviceIds, parallel, (id) => provisionViaService(apiProcess, id));
    log(`rollout: ${tenants} tenants provisioned through the service in ${round((now() - t0) / 1000)} s`);
    const bare = await Promise.all(Array.from({ length: tenants }, (_, i) => prepareBare(apiProcess.config, `rb${i}-${randomBytes(2).toString('hex')}`)));
    t0 = now();
    await pool(bare, parallel, (t) => runBare(t, cluster.kubeconfig));
    log(`rollout: ${tenants} bare tenants installed in ${round((now() - t0) / 1000)} s`);

    // The service: one rollout, no canary, one wave, no bake, maxParallel P; request → completed.
    t0 = now();
    const created = await api<Rollout>(apiProcess, '/api/rollouts', {
      body: {
        target: { appVersion: TARGET_VERSION },
        selector: { tenantIds: serviceIds },
        strategy: { canary: { count: 0 }, waves: ['100%'], maxParallel: parallel, bakeSeconds: 0 },
      },
    });
    if (created.status !== 202) throw new Error(`POST /api/rollouts: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    let done: Rollout | undefined;
    let peak = 0;
    for (const deadline = now() + tenants * 60_000; now() < deadline && !done; await sleep(500)) {
      const read = await api<Rollout>(apiProcess, `/api/rollouts/${created.body.id}`);
      if (read.status !== 200) continue;
      peak = Math.max(peak, Object.values(read.body.tenants).filter((t) => t.state === 'updating').length);
      if (read.body.state !== 'running') done = read.body;
    }
    const serviceMs = now() - t0;
    if (!done) throw new Error(`rollout ${created.body.id} still running`);
    if (done.state !== 'completed') failures.push(`rollout ${done.state}: ${done.reason}`);
    const serviceTenantMs = Object.values(done.tenants)
      .filter((t) => t.startedAt && t.finishedAt)
      .map((t) => Date.parse(t.finishedAt!) - Date.parse(t.startedAt!));
    const serviceFailed = Object.values(done.tenants).filter((t) => t.state !== 'succeeded').length;
    const serviceStepMs = await stepMedians(
      apiProcess,
      Object.values(done.tenants).flatMap((t) => (t.jobId ? [t.jobId] : [])),
    );
    const servicePhaseMs = await phaseMedians(redis.url, queuePrefix, done);
    log(`rollout: service moved ${tenants} tenants to ${TARGET_VERSION} in ${round(serviceMs / 1000)} s (${done.state}, at most ${peak} updating at once)`);

    // The bare loop: helm upgrade with the new tag's values + rollout status, P at a time.
    t0 = now();
    const bareTenantMs: number[] = [];
    let bareFailed = 0;
    await pool(bare, parallel, async (t) => {
      try {
        bareTenantMs.push(await bareUpgrade(apiProcess.config, t, cluster.kubeconfig));
      } catch (error) {
        bareFailed += 1;
        failures.push(`bare: ${String(error)}`);
      }
    });
    const bareMs = now() - t0;
    log(`rollout: bare loop moved ${tenants} tenants in ${round(bareMs / 1000)} s, ${bareFailed} failed`);

    const ratio = serviceMs / bareMs;
    result = {
      benchmark: 'rollout',
      title: `8. A rollout of ${tenants} tenants at maxParallel ${parallel}: service (blue-green) vs a bare helm upgrade loop`,
      startedAt: startedAt.toISOString(),
      durationSeconds: round((Date.now() - startedAt.getTime()) / 1000),
      machine: m,
      cpuBusyPercent: cpu.busyPercent(),
      parameters: { tenants, parallel, tickSeconds: 1, target: TARGET_VERSION, tier: 'free', sandbox: cluster.profile },
      results: {
        serviceMakespanMs: round(serviceMs),
        bareMakespanMs: round(bareMs),
        ratio: round(ratio, 3),
        servicePeakUpdating: peak,
        serviceTenantMs: summary(serviceTenantMs),
        serviceStepMedianMs: serviceStepMs,
        servicePhaseMedianMs: servicePhaseMs,
        bareTenantMs: summary(bareTenantMs),
        serviceFailed,
        bareFailed,
        failures: failures.slice(0, 10),
      },
      targets: [
        { name: 'makespan ratio service/bare', target: `≤ ${TARGET_RATIO}`, measured: round(ratio, 3).toString(), met: ratio <= TARGET_RATIO },
        { name: 'tenants failed', target: '0', measured: `${serviceFailed} (bare: ${bareFailed})`, met: serviceFailed === 0 },
      ],
      notes: [
        'Service: POST /api/rollouts → the record reads completed (polled every 500 ms); each tenant is a blue-green update: the new slot is staged beside the serving one, waited for, then the Services switch to it; the old slot keeps running for the window.',
        'Bare: per tenant, helm upgrade with the values the worker would render for the new tag on the same slot, then kubectl rollout status of both Deployments (an in-place rolling update, no rollback window).',
        `The rollout sweep ticks once a second (provisioning.rollouts.tickSeconds 1): a slot freed between ticks waits for the next one.`,
      ],
    };
    await writeResult(result);
  } finally {
    await apiProcess.stop();
    await worker.stop();
    await deleteNamespaces(kube, prefix, 900_000).catch((e: unknown) => log(`cleanup: ${String(e)}`));
    await redis.stop();
    await cluster.stop();
  }
  return result;
}

/**
 * Where a tenant's time in the rollout goes, median over tenants: from the tick that started it to
 * its job being queued, waiting in the queue, running, and from the job's end to the tick that saw it.
 */
async function phaseMedians(redisUrl: string, queuePrefix: string, done: Rollout): Promise<Record<string, number>> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(OPERATIONS_QUEUE, { connection, prefix: queuePrefix });
  const phases: Record<string, number[]> = { startToQueued: [], queued: [], running: [], finishToSeen: [] };
  try {
    for (const t of Object.values(done.tenants)) {
      const job = t.jobId ? await Job.fromId(queue, t.jobId) : undefined;
      if (!job?.processedOn || !job.finishedOn || !t.startedAt || !t.finishedAt) continue;
      phases.startToQueued!.push(job.timestamp - Date.parse(t.startedAt));
      phases.queued!.push(job.processedOn - job.timestamp);
      phases.running!.push(job.finishedOn - job.processedOn);
      phases.finishToSeen!.push(Date.parse(t.finishedAt) - job.finishedOn);
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
  return Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, round(median(v))]));
}

/**
 * The median time of each step of the service's update jobs, from their event histories: an event's
 * id is its Redis stream id, whose first part is the worker's clock in ms.
 */
async function stepMedians(service: Service, jobIds: readonly string[]): Promise<Record<string, number>> {
  const byStep: Record<string, number[]> = {};
  await pool(jobIds, 5, async (jobId) => {
    const events = await followEvents(service.baseUrl, `/api/jobs/${jobId}/events`, service.token);
    const at = (e: ReceivedEvent) => Number(e.id?.split('-')[0]);
    // Two progress events per step: "<step> started", then its result.
    const started = new Map<string, number>();
    for (const e of events) {
      if (e.event !== 'progress') continue;
      const { step, message } = e.data as { step: string; message: string };
      if (message === `${step} started`) started.set(step, at(e));
      else if (started.has(step)) (byStep[step] ??= []).push(at(e) - started.get(step)!);
    }
  });
  return Object.fromEntries(Object.entries(byStep).map(([step, ms]) => [step, round(median(ms))]));
}

/** One bare tenant moved to the target tag in place; resolves with its wall time in ms. */
async function bareUpgrade(config: Config, tenant: BareTenant, kubeconfig: string): Promise<number> {
  const images = imagesAtVersion(stackImagesOf(config.platform.images), TARGET_VERSION);
  const desired = { tier: 'free' as const, customDomain: null, resourceOverrides: {}, hibernated: false, images, slot: 'blue' as const };
  const { yaml } = tenantChartValues(config, { tenantId: tenant.tenantId, companyName: `Bench ${tenant.tenantId}`, expiresAt: null }, desired);
  const dir = await mkdtemp(join(tmpdir(), 'tp-bench-upgrade-'));
  const values = join(dir, 'values.yaml');
  await writeFile(values, yaml, { mode: 0o600 });
  try {
    const args = [tenant.tenantId, tenant.namespace, tenant.release, join(REPO_DIR, config.platform.chart.path), values];
    return await runScript(BARE_UPGRADE, args, kubeconfig, `bare upgrade of ${tenant.tenantId}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
