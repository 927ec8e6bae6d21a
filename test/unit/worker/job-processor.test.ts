import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.schema.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import type { JobHistory } from '../../../src/jobs/job-history.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createJobProcessor, type ProcessorDeps } from '../../../src/worker/job-processor.ts';
import { FakeIntents, tenantRecord } from './support/fake-intents.ts';
import { FakeLeases } from './support/fake-leases.ts';

const config: Config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const payload = { tenantId: 'gone-000000', namespace: 'tenant-gone-000000', release: 'tenant-gone-000000', requestedAt: '2026-01-01T00:00:00.000Z' };

function fakeJob(name: string) {
  const delayed: number[] = [];
  const job = {
    id: `job-${name}`,
    name,
    data: payload,
    attemptsMade: 0,
    opts: { attempts: 3 },
    moveToDelayed: async (ts: number) => void delayed.push(ts),
    updateProgress: async () => undefined,
  } as unknown as Job;
  return { job, delayed };
}

function setup() {
  const events: JobEvent[] = [];
  const history: JobHistory = { channel: 'c', append: async (_id, e) => (events.push(e), { ...e, id: '1-0', jobId: 'x' }), read: async () => [] };
  const leases = new FakeLeases(60_000);
  const intents = new FakeIntents();
  const helm = {
    uninstall: async () => {
      throw new Error('must not be called');
    },
  };
  const deps = { config, logger: createLogger({ level: 'silent', pretty: false }), history, leases, tenants: intents, helm } as unknown as ProcessorDeps;
  return { deps, events, leases, intents };
}

describe('job processor and the tenant lease', () => {
  it('runs a job under the lease and gives the lease back', async () => {
    const { deps, events, leases } = setup();
    const { job } = fakeJob('hibernate');
    const result = await createJobProcessor(deps)(job, 'token');
    expect(result).toMatchObject({ superseded: true });
    expect(events.at(-1)?.type).toBe('completed');
    expect(await leases.holder(payload.tenantId)).toBeUndefined();
  });

  it('makes a job for a busy tenant wait its turn: delayed, not failed, no attempt spent, nothing run', async () => {
    const { deps, events, leases } = setup();
    await leases.acquire(payload.tenantId);
    const { job, delayed } = fakeJob('resume');
    const before = Date.now();
    const error = await createJobProcessor(deps)(job, 'token').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelayedError);
    expect(delayed[0]).toBeGreaterThanOrEqual(before + config.queue.tenantLease.retryMs);
    expect(events.map((e) => e.type)).toEqual(['log']);
  });

  it('stops before the next mutating step once its token is stale, and compensates nothing', async () => {
    const { deps, events, leases, intents } = setup();
    // The first step reads the tenant; meanwhile another worker takes the tenant over.
    const read = intents.read.bind(intents);
    intents.read = async (id) => {
      await leases.steal(id);
      return read(id);
    };
    const { job, delayed } = fakeJob('update');
    const error = await createJobProcessor(deps)(job, 'token').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelayedError);
    expect(delayed).toHaveLength(1);
    const steps = events.flatMap((e) => (e.type === 'progress' ? [e.data.step] : []));
    expect(new Set(steps)).toEqual(new Set(['read-desired-state']));
    expect(events.some((e) => e.type === 'failed')).toBe(false);
    // The new holder keeps its lease; ours was not released over it.
    expect(await leases.holder(payload.tenantId)).toBe(2);
  });
});

describe("job processor: the whole job's deadline and the Helm children it leaves", () => {
  const tenantId = 'acme-abc123';
  const ref = { tenantId, namespace: `tenant-${tenantId}`, release: `tenant-${tenantId}`, requestedAt: '2026-01-01T00:00:00.000Z' };

  /** A purge job whose removal is the tenant's current intent, so its plan reaches `helm uninstall`. */
  function removal(uninstall: (release: string, namespace: string, signal?: AbortSignal) => Promise<void>, overrides: Partial<Config['timeouts']> = {}) {
    const events: JobEvent[] = [];
    const history: JobHistory = { channel: 'c', append: async (_id, e) => (events.push(e), { ...e, id: '1-0', jobId: 'x' }), read: async () => [] };
    const leases = new FakeLeases(60_000);
    const store = new FakeIntents();
    store.put(tenantRecord({ tenantId, namespace: ref.namespace, operation: { type: 'purge', jobId: 'job-purge', state: 'queued', at: ref.requestedAt } }));
    const deps = {
      config: { ...config, timeouts: { ...config.timeouts, ...overrides } },
      logger: createLogger({ level: 'silent', pretty: false }),
      history,
      leases,
      tenants: store,
      helm: { uninstall },
      workloads: { waitForNamespaceGone: async () => true as const },
    } as unknown as ProcessorDeps;
    const job = {
      id: 'job-purge',
      name: 'purge',
      data: ref,
      attemptsMade: 0,
      opts: { attempts: 3 },
      moveToDelayed: async () => undefined,
      updateProgress: async () => undefined,
    } as unknown as Job;
    return { deps, job, events, leases, store };
  }

  /** `helm uninstall` as a child process: it runs until its signal aborts, then takes `graceMs` to exit (Helm's SIGTERM handling). */
  function helmChild(graceMs: number, onExit: () => Promise<void> = async () => undefined) {
    const started: AbortSignal[] = [];
    const uninstall = (_release: string, _namespace: string, signal?: AbortSignal) =>
      new Promise<void>((_, reject) => {
        started.push(signal!);
        signal!.addEventListener('abort', () => setTimeout(() => void onExit().then(() => reject(new Error('helm: interrupted'))), graceMs), { once: true });
      });
    return { started, uninstall };
  }

  it('fails the job for good once timeouts.provisioning has passed, says why, and compensates', async () => {
    const child = helmChild(20);
    const { deps, job, events, store } = removal(child.uninstall, { provisioning: 1 });
    const started = Date.now();
    const error = await createJobProcessor(deps)(job, 'token').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toBe('uninstall-release: purge did not finish within 1 s (timeouts.provisioning)');
    expect(events.at(-1)).toMatchObject({
      type: 'failed',
      data: { step: 'uninstall-release', message: 'purge did not finish within 1 s (timeouts.provisioning)' },
    });
    // Compensated: the removal's marker records the failure (a deprovision is never undone by Helm).
    expect((await store.get(tenantId))?.operation).toMatchObject({ type: 'purge', jobId: 'job-purge', state: 'failed' });
    // The Helm call carried the job's signal, which the deadline aborted.
    expect(child.started[0]?.aborted).toBe(true);
  });

  it("keeps the tenant's lease until a cancelled job's Helm child has exited, then releases it", async () => {
    let heldWhenChildExited: number | undefined;
    const box: { leases?: FakeLeases } = {};
    const child = helmChild(300, async () => {
      heldWhenChildExited = await box.leases!.holder(tenantId);
    });
    const setup = removal(child.uninstall);
    const leases = (box.leases = setup.leases);
    const cancel = new AbortController();
    const run = createJobProcessor(setup.deps)(setup.job, 'token', cancel.signal).catch((e: unknown) => e);
    while (child.started.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    cancel.abort(new Error('worker shutting down'));
    expect(await run).toBeInstanceOf(DelayedError);
    expect(heldWhenChildExited).toBe(1);
    expect(await leases.holder(tenantId)).toBeUndefined();
  });

  it("sends the job's Helm through a fence opened under its lease, closed once the child exited and before the lease is released", async () => {
    const seen: string[] = [];
    let childExited = false;
    const child = helmChild(50, async () => void (childExited = true));
    const setup = removal(child.uninstall);
    const connection = { flags: ['--kube-apiserver', 'https://127.0.0.1:1'], env: {} };
    const helm = {
      uninstall: child.uninstall,
      withConnection: (c: unknown) => (seen.push(c === connection ? 'fenced' : 'other'), { uninstall: child.uninstall }),
    };
    const fences = {
      open: async ({ lease }: { lease: { token: number } }) => {
        seen.push(`open ${lease.token}`);
        return {
          connection,
          close: async () => void seen.push(`close: child exited ${childExited}, lease ${await setup.leases.holder(tenantId)}`),
        };
      },
    };
    const deps = { ...setup.deps, helm, fences } as unknown as ProcessorDeps;
    const cancel = new AbortController();
    const run = createJobProcessor(deps)(setup.job, 'token', cancel.signal).catch((e: unknown) => e);
    while (child.started.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    cancel.abort(new Error('worker shutting down'));
    expect(await run).toBeInstanceOf(DelayedError);
    expect(seen).toEqual(['open 1', 'fenced', 'close: child exited true, lease 1']);
    expect(await setup.leases.holder(tenantId)).toBeUndefined();
  });

  it('gives the lease back and runs no Helm when its fence cannot open', async () => {
    const child = helmChild(0);
    const setup = removal(child.uninstall);
    const fences = {
      open: async () => {
        throw new Error('EMFILE: too many open files');
      },
    };
    const error = await createJobProcessor({ ...setup.deps, fences } as unknown as ProcessorDeps)(setup.job, 'token').catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/EMFILE/);
    expect(child.started).toEqual([]);
    expect(await setup.leases.holder(tenantId)).toBeUndefined();
  });
});

describe('job processor while the Kubernetes API is away', () => {
  // The soak found it: a kube-apiserver restart (20-30 s) burnt every attempt of the jobs that met it
  // within seconds, so they failed and the reconcile sweep had to queue their work again.
  const unreachable = () => new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });

  it('puts the job back without spending an attempt or failing it, within timeouts.provisioning of its creation', async () => {
    const { deps, events, leases, intents } = setup();
    intents.read = async () => {
      throw unreachable();
    };
    const { job, delayed } = fakeJob('hibernate');
    (job as { timestamp: number }).timestamp = Date.now() - 60_000;
    const error = await createJobProcessor(deps)(job, 'token').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelayedError);
    expect(delayed).toHaveLength(1);
    expect(events.some((e) => e.type === 'failed')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'log', data: { message: expect.stringContaining('Kubernetes API is unreachable') } });
    expect(await leases.holder(payload.tenantId)).toBeUndefined();
  });

  it('puts a backup (a job beside the tenant, no lease) back the same way', async () => {
    // The soak found this too: three quick attempts of an on-demand backup all met one API server restart.
    const { deps, events, intents } = setup();
    intents.get = async () => {
      throw unreachable();
    };
    const { job, delayed } = fakeJob('backup');
    Object.assign(job, { data: { ...payload, backupName: 'gone-000000-20260101000000-abcd', requestedBy: 'api' }, timestamp: Date.now() - 60_000 });
    const error = await createJobProcessor(deps)(job, 'token').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelayedError);
    expect(delayed).toHaveLength(1);
    expect(events.some((e) => e.type === 'failed')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'log', data: { message: expect.stringContaining('backup paused at check-tenant') } });
  });

  it('spends attempts as any failure once the job is older than timeouts.provisioning', async () => {
    const { deps, events, intents } = setup();
    intents.read = async () => {
      throw unreachable();
    };
    const { job, delayed } = fakeJob('hibernate');
    (job as { timestamp: number }).timestamp = Date.now() - (config.timeouts.provisioning + 1) * 1000;
    const error = await createJobProcessor(deps)(job, 'token').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(DelayedError);
    expect(delayed).toHaveLength(0);
    expect(events.at(-1)).toMatchObject({ type: 'log', data: { message: expect.stringContaining('will retry') } });
  });
});
