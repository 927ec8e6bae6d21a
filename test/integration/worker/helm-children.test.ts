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
// seconds to exit, as Helm does while it marks a release failed after being cancelled. Its own
// sleeping child is recorded too, so nothing outlives the file when the stand-in is SIGKILLed.
const HELM = `#!/bin/sh
echo $$ > "$HELM_TEST_PIDFILE"
sleep 30 </dev/null >/dev/null 2>&1 &
child=$!
echo $child >> "$HELM_TEST_PIDFILE.children"
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
  for (const line of existsSync(join(dir, 'pid.children')) ? readFileSync(join(dir, 'pid.children'), 'utf8').split('\n') : []) {
    if (line.trim()) kill(Number(line));
  }
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const kill = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A deprovision job over the real processor, the real lease in Redis and the Helm stand-in. */
function setup(jobId: string, onRequeue?: () => void) {
  const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'integration-test-secret-at-least-32-bytes-long!!', QUEUE_PREFIX: prefix } });
  const tenantId = `acme-${randomBytes(3).toString('hex')}`;
  const ref = { tenantId, namespace: `tenant-${tenantId}`, release: `tenant-${tenantId}`, requestedAt: new Date().toISOString() };
  const tenants = new FakeIntents();
  tenants.put(tenantRecord({ tenantId, namespace: ref.namespace, operation: { type: 'deprovision', jobId, state: 'queued', at: ref.requestedAt } }));
  const pidFile = join(dir, 'pid');
  rmSync(pidFile, { force: true });
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
    id: jobId,
    name: 'deprovision',
    data: ref,
    attemptsMade: 0,
    opts: { attempts: 3 },
    moveToDelayed: async () => onRequeue?.(),
    updateProgress: async () => undefined,
  } as unknown as Job;

  return { deps, job, pidFile, lease: `${prefix}:tenant-lease:{${tenantId}}` };
}

describe('a job cancelled while Helm runs', () => {
  it("keeps the tenant's lease in Redis until the Helm child has exited, and releases it after", async () => {
    const { deps, job, pidFile, lease } = setup('job-1');

    const cancel = new AbortController();
    const run = createJobProcessor(deps)(job, 'token', cancel.signal).catch((e: unknown) => e);
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await sleep(10);
    const pid = Number(readFileSync(pidFile, 'utf8'));
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

  it('kills the Helm child at once when the lease is lost, and puts the job back only after the child exited', async () => {
    // The soak found it: a job whose lease was lost in a Redis failover went back to the queue while
    // its Helm child wound down after SIGTERM, and the same worker took the job again and started a
    // second `helm upgrade` of the tenant beside the first. The lease is gone: nothing protects the
    // tenant but the child being dead.
    let childAliveAtRequeue: boolean | undefined;
    let pid = 0;
    const { deps, job, pidFile, lease } = setup('job-2', () => {
      childAliveAtRequeue = alive(pid);
    });
    const run = createJobProcessor(deps)(job, 'token', new AbortController().signal).catch((e: unknown) => e);
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await sleep(10);
    pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await redis.get(lease)).not.toBeNull();

    // Another holder took the tenant (as after a failover that lost this lease): the next renewal is refused.
    await redis.set(lease, 'another-holder', 'PX', 10_000);
    const takenAt = Date.now();
    while (alive(pid)) await sleep(10);
    const childMs = Date.now() - takenAt;
    expect(await run).toBeInstanceOf(DelayedError);
    expect(childAliveAtRequeue, 'the job went back to the queue while its Helm child still ran').toBe(false);
    // Renewals come every third of the 2 s TTL; SIGTERM would have let the stand-in run 2 s more.
    expect(childMs).toBeLessThan(1_500);
    console.warn(`lease lost: Helm child killed ${childMs} ms after another holder took the tenant`);
  });
});
