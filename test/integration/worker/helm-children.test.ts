import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { createHelmClient } from '../../../src/helm/helm-client.ts';
import { createJobHistory } from '../../../src/jobs/job-history.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createJobProcessor, type ProcessorDeps } from '../../../src/worker/job-processor.ts';
import { createTenantLeases } from '../../../src/worker/tenant-lease.ts';
import { FakeIntents, tenantRecord } from '../../unit/worker/support/fake-intents.ts';

// A Helm stand-in as a real child process: it records its pid, runs until SIGTERM, then takes two
// seconds to exit, as Helm does while it marks a release failed after being cancelled.
const HELM = `#!/bin/sh
echo $$ > "$HELM_TEST_PIDFILE"
sleep 30 &
child=$!
trap 'kill $child 2>/dev/null; sleep 2; exit 143' TERM
wait $child
`;

const redis = new Redis(inject('redisUrl'));
const prefix = `hc${randomBytes(3).toString('hex')}`;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tp-helm-children-'));
  writeFileSync(join(dir, 'helm'), HELM);
  chmodSync(join(dir, 'helm'), 0o755);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a job cancelled while Helm runs', () => {
  it("keeps the tenant's lease in Redis until the Helm child has exited, and releases it after", async () => {
    const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'integration-test-secret-at-least-32-bytes-long!!', QUEUE_PREFIX: prefix } });
    const tenantId = 'acme-abc123';
    const ref = { tenantId, namespace: `tenant-${tenantId}`, release: `tenant-${tenantId}`, requestedAt: new Date().toISOString() };
    const tenants = new FakeIntents();
    tenants.put(tenantRecord({ tenantId, namespace: ref.namespace, operation: { type: 'deprovision', jobId: 'job-1', state: 'queued', at: ref.requestedAt } }));
    const pidFile = join(dir, 'pid');
    const leases = createTenantLeases(redis, { prefix, ttlMs: 2_000 });
    const deps = {
      config,
      logger: createLogger({ level: 'silent', pretty: false }),
      leases,
      tenants,
      history: createJobHistory(redis, { prefix }),
      helm: createHelmClient({ binary: join(dir, 'helm'), killGraceMs: 10_000, env: { ...process.env, HELM_TEST_PIDFILE: pidFile } }),
      workloads: { waitForNamespaceGone: async () => true as const },
    } as unknown as ProcessorDeps;
    const job = {
      id: 'job-1',
      name: 'deprovision',
      data: ref,
      attemptsMade: 0,
      opts: { attempts: 3 },
      moveToDelayed: async () => undefined,
      updateProgress: async () => undefined,
    } as unknown as Job;

    const cancel = new AbortController();
    const run = createJobProcessor(deps)(job, 'token', cancel.signal).catch((e: unknown) => e);
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await sleep(10);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const lease = `${prefix}:tenant-lease:{${tenantId}}`;
    const token = await redis.get(lease);
    expect(token).not.toBeNull();

    cancel.abort(new Error('job lock lost'));
    const cancelledAt = Date.now();
    // While `helm uninstall` winds down after SIGTERM, no other job may take the tenant.
    let checks = 0;
    while (alive(pid)) {
      expect(await redis.get(lease)).toBe(token);
      checks++;
      await sleep(20);
    }
    const childMs = Date.now() - cancelledAt;
    expect(childMs).toBeGreaterThan(1_500);
    expect(checks).toBeGreaterThan(20);
    expect(await run).toBeInstanceOf(DelayedError);
    expect(await redis.get(lease)).toBeNull();
    console.warn(`cancelled Helm child exited ${childMs} ms after SIGTERM; the lease was held throughout (${checks} checks)`);
  });
});
