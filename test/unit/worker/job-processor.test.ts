import { DelayedError, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.schema.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import type { JobHistory } from '../../../src/jobs/job-history.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createJobProcessor, type ProcessorDeps } from '../../../src/worker/job-processor.ts';
import { FakeIntents } from './support/fake-intents.ts';
import { FakeLeases } from './support/fake-leases.ts';

const config: Config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const payload = { tenantId: 'gone-000000', namespace: 'tenant-gone-000000', release: 'tenant-gone-000000', requestedAt: '2026-01-01T00:00:00.000Z' };

function fakeJob(name: string) {
  const delayed: number[] = [];
  const job = {
    id: `job-${name}`, name, data: payload, attemptsMade: 0, opts: { attempts: 3 },
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
  const helm = { uninstall: async () => { throw new Error('must not be called'); } };
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
