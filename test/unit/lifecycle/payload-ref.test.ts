import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { JobEvent } from '../../../src/jobs/job-events.schema.ts';
import type { JobHistory } from '../../../src/jobs/job-history.ts';
import { payloadRefMismatch } from '../../../src/lifecycle/tenant-ref.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createJobProcessor, type ProcessorDeps } from '../../../src/worker/job-processor.ts';
import { FakeIntents, tenantRecord } from '../worker/support/fake-intents.ts';
import { FakeLeases } from '../worker/support/fake-leases.ts';

const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
const own = { tenantId: 'acme-abc123', namespace: 'tenant-acme-abc123', release: 'tenant-acme-abc123', requestedAt: '2026-01-01T00:00:00.000Z' };

/** Finding 7: the worker trusted the namespace and release strings of a job, which reach `helm uninstall`. */
describe('a job whose payload names another namespace or release', () => {
  it('is recognised', () => {
    expect(payloadRefMismatch(config, own)).toBeUndefined();
    expect(payloadRefMismatch(config, { ...own, namespace: 'kube-system' })).toMatch(/namespace kube-system is not tenant acme-abc123's/);
    expect(payloadRefMismatch(config, { ...own, release: 'tenant-other-000000' })).toMatch(/release/);
  });

  it.each([
    ['namespace', { namespace: 'kube-system' }],
    ['release', { release: 'tenant-victim-000000' }],
  ])('is refused before it takes the lease or touches anything (forged %s)', async (_what, forged) => {
    const calls: string[] = [];
    const events: JobEvent[] = [];
    const history: JobHistory = { channel: 'c', append: async (_id, e) => (events.push(e), { ...e, id: '1-0', jobId: 'd-1' }), read: async () => [] };
    const tenants = new FakeIntents();
    tenants.put(tenantRecord({ operation: { type: 'deprovision', jobId: 'd-1', state: 'queued', at: own.requestedAt } }));
    const leases = new FakeLeases(60_000);
    const deps = {
      config,
      logger: createLogger({ level: 'silent', pretty: false }),
      history,
      leases,
      tenants,
      helm: { uninstall: async (release: string, namespace: string) => void calls.push(`uninstall ${release} ${namespace}`) },
      workloads: { waitForNamespaceGone: async () => true },
    } as unknown as ProcessorDeps;
    const job = {
      id: 'd-1',
      name: 'deprovision',
      data: { ...own, ...forged },
      attemptsMade: 0,
      opts: { attempts: 3 },
      moveToDelayed: async () => undefined,
      updateProgress: async () => undefined,
    } as unknown as Job;
    await expect(createJobProcessor(deps)(job, 'token')).rejects.toThrow(/refused/);
    expect(calls).toEqual([]);
    expect(tenants.deleted).toEqual([]);
    expect(await leases.holder('acme-abc123')).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: 'failed', data: { step: 'validate' } });
  });
});
