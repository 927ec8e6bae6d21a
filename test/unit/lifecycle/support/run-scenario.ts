import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Scheduler } from 'fast-check';
import { vi } from 'vitest';
import type { Config } from '../../../../src/config/config.schema.ts';
import { FIRST_SLOT, imagesAtVersion, stackImagesOf } from '../../../../src/domain/slots.ts';
import type { DesiredState } from '../../../../src/domain/tenant-record.ts';
import { testConfig } from '../../api/support/config.ts';
import { sseClient, type SseClient } from '../../services/support/sse-client.ts';
import { buildSystem, type System } from './build-system.ts';
import { FakeCluster } from './fake-cluster.ts';
import { FakeQueue, type QueuedJob } from './fake-queue.ts';
import { describeCommand, TENANT_IDS, type Command, type Scenario, type Start } from './scenario.ts';
import { redisWriteError, World, type Actor } from './world.ts';

/** 2026-03-01T00:00:00Z: every run starts here on the fake clock. */
export const T0 = 1_772_323_200_000;

/**
 * The shipped configuration, with what makes the interesting states reachable in a short run: a
 * job fails for good on its second attempt, and a demo is removed a minute after it expired.
 */
export const scenarioConfig: Config = testConfig((c) => {
  c.queue.attempts = 2;
  c.provisioning.expiry.policy = 'hibernate-then-deprovision';
  c.provisioning.expiry.deprovisionAfterSeconds = 60;
});

export type SseWatch = { jobId: string; client: SseClient };
export type Run = { world: World; cluster: FakeCluster; queue: FakeQueue; system: System; watches: SseWatch[]; log: string[] };

type Running = { actor: Actor; job: QueuedJob; stop: () => void };

const app = scenarioConfig.platform.images.api.tag;
const shape = (d: DesiredState) => ({
  tier: d.tier,
  hibernated: d.hibernated,
  customDomain: d.customDomain,
  active: d.slot ?? FIRST_SLOT,
  slots: { [d.slot ?? FIRST_SLOT]: d.images?.api.tag ?? app, ...(d.previous ? { [d.previous.slot]: d.previous.images.api.tag } : {}) },
});

/** A tenant provisioned before the run: namespace, Secrets, a deployed release, its completed provision job. */
function seed(run: Run, tenantId: string, start: Exclude<Start, 'absent'>) {
  const { cluster, queue, world } = run;
  const config = scenarioConfig;
  const tier = start === 'free' || start === 'switched' ? 'free' : 'demo';
  const expiresAt = start === 'demo-expired' ? new Date(T0 - 30_000).toISOString() : start === 'demo-expiring' ? new Date(T0 + 15_000).toISOString() : null;
  const platformImages = stackImagesOf(config.platform.images);
  // Switched a minute ago: green serves v2, blue keeps the platform's version for the window.
  const release =
    start === 'switched'
      ? { slot: 'green' as const, images: imagesAtVersion(platformImages, 'v2'), previous: { slot: FIRST_SLOT, images: platformImages } }
      : {};
  const desired: DesiredState = { tier, customDomain: null, resourceOverrides: {}, hibernated: false, ...release };
  const slot = desired.slot ?? FIRST_SLOT;
  const jobId = `seed-${tenantId}`;
  const namespace = `${config.platform.namespacePrefix}${tenantId}`;
  const releaseName = `${config.platform.releasePrefix}${tenantId}`;
  const facts = {
    companyName: `Company ${tenantId}`,
    ownerEmail: 'owner@example.com',
    ownerName: 'Ada Lovelace',
    stripeCustomerId: null,
    stripeSubscriptionId: null,
    expiresAt,
  };
  cluster.namespaces.set(tenantId, {
    record: {
      tenantId,
      namespace,
      tier,
      ...facts,
      customDomain: null,
      createdAt: new Date(T0 - 3_600_000).toISOString(),
      desired,
      terminating: false,
      operation: { type: 'provision', jobId, state: 'completed', at: new Date(T0 - 3_500_000).toISOString() },
      // As the last deploy recorded it: a release of a new version switches to the other slot.
      running: {
        chart: { name: 'mechanicbuddy-tenant', version: '0.1.0' },
        app: desired.images?.api.tag ?? app,
        images: { api: `ghcr.io/mechanicbuddy/api:${desired.images?.api.tag ?? app}` },
        valuesHash: 'sha256:seeded',
        revision: 1,
        slot,
        at: new Date(start === 'switched' ? T0 - 60_000 : T0 - 3_500_000).toISOString(),
      },
    },
    version: 1,
    secrets: new Map([`${tenantId}-db`, `${tenantId}-app`, `${tenantId}-admin`].map((name, i) => [name, `seeded-${i}`])),
    release: [{ revision: 1, status: 'deployed', shape: shape(desired) }],
    everDeployed: true,
    services: new Map([`${tenantId}-api`, `${tenantId}-web`].map((name) => [name, slot])),
  });
  cluster.stripe.set(tenantId, { customer: null, subscription: null });
  world.recordIntent(tenantId, true, 'provision', jobId, desired);
  queue.jobs.set(jobId, {
    id: jobId,
    name: 'provision',
    state: 'completed',
    attemptsMade: 1,
    attempts: config.queue.attempts,
    addedBy: 'setup',
    returnvalue: { tenantId },
    data: { tenantId, namespace, release: releaseName, requestedAt: new Date(T0 - 3_600_000).toISOString(), desired, ...facts },
  });
}

/** One worker takes the next waiting job and runs the processor on it, as BullMQ would. */
function work(run: Run, running: Map<string, Running>): Promise<void> {
  const { world, queue, system } = run;
  const job = queue.next();
  if (!job) return Promise.resolve();
  job.state = 'active';
  let delayed = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const bullJob = {
    id: job.id,
    name: job.name,
    data: structuredClone(job.data),
    attemptsMade: job.attemptsMade,
    opts: { attempts: job.attempts },
    async moveToDelayed() {
      await world.step(`moveToDelayed ${job.id}`);
      if (world.redisWriteFails()) throw redisWriteError();
      delayed = true;
    },
    async updateProgress() {
      await world.step(`updateProgress ${job.id}`);
      if (world.redisWriteFails()) throw redisWriteError();
    },
  } as unknown as Job;
  // BullMQ's own bookkeeping after the processor: a refused write leaves the job active, and the
  // stalled-job check hands it to a worker again (a completed job then runs a second time).
  const finish = async (apply: () => void) => {
    await world.step(`finish ${job.id}`);
    if (world.redisWriteFails()) job.state = 'waiting';
    else apply();
  };
  const { actor, done } = world.as(
    'worker',
    async () => {
      try {
        const result = await system.process(bullJob, `lock-${job.id}`, new AbortController().signal);
        await finish(() => Object.assign(job, { state: 'completed', returnvalue: result }));
      } catch (error) {
        if (error instanceof DelayedError || delayed) {
          job.state = 'waiting';
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        await finish(() => {
          job.attemptsMade++;
          const final = error instanceof UnrecoverableError || job.attemptsMade >= job.attempts;
          Object.assign(job, final ? { state: 'failed', failedReason: message } : { state: 'waiting' });
        });
      }
    },
    { jobId: job.id, jobName: job.name },
  );
  running.set(actor.id, { actor, job, stop });
  return Promise.race([done, stopped]).finally(() => running.delete(actor.id));
}

/** Runs an intake path as its actor; refusals (404, 409, 422, 503) are answers, not failures of the run. */
async function intake(run: Run, kind: 'http' | 'billing' | 'expiry' | 'reconcile', what: string, call: () => Promise<unknown>) {
  try {
    await run.world.as(kind, call).done;
  } catch (error) {
    run.log.push(`${what}: ${error instanceof Error ? error.name : 'error'} ${error instanceof Error ? error.message.slice(0, 120) : ''}`);
  }
}

async function execute(run: Run, running: Map<string, Running>, c: Command): Promise<void> {
  const { system, world, queue } = run;
  const id = (t: number) => TENANT_IDS[t % TENANT_IDS.length]!;
  const what = describeCommand(c);
  switch (c.k) {
    case 'provision':
      return intake(run, 'http', what, () =>
        system.http.provision({
          tenantId: id(c.t),
          tier: c.tier,
          customDomain: c.domain ? `${id(c.t).slice(0, 5)}.example.com` : null,
          stripe: c.stripe ? { customerId: `cus_${id(c.t).slice(0, 5)}`, subscriptionId: `sub_${id(c.t).slice(0, 5)}1` } : null,
        }),
      );
    case 'update':
      return intake(run, 'http', what, () =>
        system.http.update(id(c.t), { ...(c.tier ? { tier: c.tier } : {}), ...(c.domain !== undefined ? { customDomain: c.domain } : {}) }),
      );
    case 'release':
      return intake(run, 'http', what, () => system.http.release(id(c.t), c.version));
    case 'rollback':
      return intake(run, 'http', what, () => system.http.rollback(id(c.t)));
    case 'hibernate':
    case 'resume':
    case 'deprovision':
      return intake(run, 'http', what, () => system.http[c.k](id(c.t)));
    case 'stripe': {
      const event = `evt_${c.action}_${c.event}`;
      const t = id(c.t);
      const calls = {
        upgrade: () => system.billing.changeTier(t, 'free', event),
        link: () => system.billing.link(t, { customerId: `cus_${t.slice(0, 5)}`, subscriptionId: `sub_${t.slice(0, 5)}${c.event}` }, event),
        hibernate: () => system.billing.hibernate(t, event),
        resume: () => system.billing.resume(t, event),
        cancel: () => system.billing.cancel(t, event),
      };
      return intake(run, 'billing', what, calls[c.action]);
    }
    case 'expiry-sweep':
      return intake(run, 'expiry', what, () => system.sweeps.expiry());
    case 'reconcile-sweep':
      return intake(run, 'reconcile', what, () => system.sweeps.reconcile());
    case 'work':
      return work(run, running);
    case 'kill': {
      // The pod dies: its calls never return, its lease runs out, BullMQ's stalled check hands the job on.
      const victim = [...running.values()][c.n % Math.max(1, running.size)];
      if (!victim) return;
      victim.actor.killed = true;
      victim.job.state = 'waiting';
      run.log.push(`killed ${victim.actor.id}`);
      victim.stop();
      return;
    }
    case 'rerun': {
      const job = queue.redeliver(c.n);
      if (job) run.log.push(`redelivered ${job.id}`);
      return;
    }
    case 'lease-expiry': {
      // Redis refuses renewals for a whole TTL: every holder must stop before its lease can be taken.
      system.leases.failRenewals = true;
      await vi.advanceTimersByTimeAsync(system.leases.ttlMs + 1);
      system.leases.failRenewals = false;
      return;
    }
    case 'tick':
      await vi.advanceTimersByTimeAsync(10_000);
      return;
    case 'redis-errors':
      world.faults.redisWrites += c.n;
      return;
    case 'pubsub-drops':
      world.faults.pubsubDrops += c.n;
      return;
    case 'helm-fails':
      world.faults.helm.set(id(c.t), c.permanent ? 'permanent' : 'transient');
      return;
    case 'sse': {
      const accepted = [...queue.jobs.values()].filter((j) => j.addedBy !== 'setup');
      const job = accepted[c.n % Math.max(1, accepted.length)];
      if (!job) return;
      const existing = run.watches.find((w) => w.jobId === job.id);
      if (existing) {
        // A browser losing its connection and resuming with Last-Event-ID.
        await existing.client.disconnect();
        await world.as('sse', () => existing.client.connect()).done;
        return;
      }
      const client = sseClient({
        jobId: job.id,
        history: system.history.history,
        hub: system.history.hub,
        terminalFromQueue: async () => queue.terminal(job.id),
      });
      run.watches.push({ jobId: job.id, client });
      await world.as('sse', () => client.connect()).done;
      return;
    }
  }
}

/**
 * Faults off, then the system is let finish: leases of dead workers run out, lost intents become
 * due, every waiting job runs, the reconciler looks again; until nothing is waiting.
 */
async function settle(s: Scheduler, run: Run, running: Map<string, Running>) {
  const { world, queue, system } = run;
  Object.assign(world.faults, { redisWrites: 0, pubsubDrops: 0 });
  world.faults.helm.clear();
  const lostAfter = scenarioConfig.provisioning.reconcile.lostIntentAfterSeconds * 1000;
  for (let round = 0; round < 8; round++) {
    await vi.advanceTimersByTimeAsync(system.leases.ttlMs + lostAfter + 1);
    for (let n = 0; n < 30 && queue.next(); n++) await s.waitFor(work(run, running));
    await s.waitFor(intake(run, 'reconcile', 'settle reconcile', () => system.sweeps.reconcile()));
    if (!queue.next()) break;
  }
}

/** One run: seeds the tenants, starts every command at a point the scheduler picks, then settles. */
export async function runScenario(s: Scheduler, scenario: Scenario): Promise<Run> {
  vi.setSystemTime(T0);
  const world = new World();
  const cluster = new FakeCluster(world);
  const queue = new FakeQueue(world);
  const system = buildSystem(cluster, queue, scenarioConfig);
  const run: Run = { world, cluster, queue, system, watches: [], log: [] };
  scenario.starts.forEach((start, i) => {
    if (start !== 'absent') seed(run, TENANT_IDS[i]!, start);
  });
  world.scheduler = s;
  const running = new Map<string, Running>();
  const tenants = scenario.starts.length;
  const started = scenario.commands.map((c) => {
    const command = 't' in c ? { ...c, t: c.t % tenants } : c;
    return s.schedule(Promise.resolve(), describeCommand(command)).then(() => execute(run, running, command));
  });
  await s.waitFor(Promise.all(started));
  await settle(s, run, running);
  return run;
}
