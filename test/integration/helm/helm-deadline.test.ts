import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import { createHelmClient, type HelmClient } from '../../../src/helm/helm-client.ts';
import { DeadlineError, withDeadlineSignal } from '../../../src/services/deadline.ts';
import { validateProvisionRequest, type ValidationDeps } from '../../../src/services/provision-validation.ts';
import { readTenantStatus } from '../../../src/services/tenant-status.ts';
import { testConfig } from '../../unit/api/support/config.ts';

// Our handling of the Helm child process when the API gives up on it. The Helm `binary` is a tiny
// shell script that records its pid and then, while a `.hang` file sits beside it, becomes a 30 s
// sleep (ignoring SIGTERM while an `.ignore-term` file exists, as a Helm finishing its rollback
// would); otherwise it prints a version. The assertion is on the real process: after the deadline
// it must be gone (kill(pid, 0) fails), and SIGKILL must wait for the configured grace.
const SCRIPT = `#!/bin/sh
echo $$ >> "$0.pids"
if [ -e "$0.hang" ]; then
  if [ -e "$0.ignore-term" ]; then trap '' TERM; fi
  exec sleep 30
fi
echo "v4.0.0+gtest"
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tp-helm-deadline-'));
});

afterAll(async () => {
  // Anything a failing assertion left behind must not outlive the test run.
  for (const pid of await pidsIn(dir).catch(() => [])) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

type FakeHelm = { client: HelmClient; pids: () => Promise<number[]>; hang: (on: boolean, ignoreTerm?: boolean) => Promise<void> };

async function helmScript(name: string, killGraceMs: number): Promise<FakeHelm> {
  const binary = join(dir, name);
  await writeFile(binary, SCRIPT);
  await chmod(binary, 0o755);
  return {
    client: createHelmClient({ binary, killGraceMs, env: { PATH: process.env.PATH } }),
    pids: async () => (await readFile(`${binary}.pids`, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number),
    hang: async (on, ignoreTerm = false) => {
      for (const [file, wanted] of [
        [`${binary}.hang`, on],
        [`${binary}.ignore-term`, ignoreTerm],
      ] as const) {
        if (wanted) await writeFile(file, '');
        else await rm(file, { force: true });
      }
    },
  };
}

async function pidsIn(root: string): Promise<number[]> {
  const files = (await readdir(root)).filter((f) => f.endsWith('.pids'));
  const all = await Promise.all(files.map((f) => readFile(join(root, f), 'utf8')));
  return all.join('\n').split('\n').filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How long after now the process is gone (polled every 20 ms), or Infinity past `withinMs`. */
async function goneAfter(pid: number, withinMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < withinMs) {
    if (!alive(pid)) return performance.now() - started;
    await sleep(20);
  }
  return Infinity;
}

async function startedPid(helm: FakeHelm, count: number): Promise<number> {
  for (let i = 0; i < 100; i += 1) {
    const pids = await helm.pids();
    if (pids.length >= count) return pids[count - 1]!;
    await sleep(20);
  }
  throw new Error('the Helm script never started');
}

const tenant: TenantRecord = {
  tenantId: 'deadline-3f9a1c',
  namespace: 'tenant-deadline-3f9a1c',
  tier: 'free',
  companyName: 'Deadline Garage',
  ownerEmail: 'owner@example.com',
  ownerName: 'Ada Lovelace',
  customDomain: null,
  stripeCustomerId: null,
  stripeSubscriptionId: null,
  expiresAt: null,
  createdAt: new Date().toISOString(),
  operation: null,
  terminating: false,
  desired: { tier: 'free', customDomain: null, resourceOverrides: {}, hibernated: false },
};

describe('a Helm call the API gives up on', () => {
  it('is killed at the deadline: SIGTERM first, SIGKILL only after the kill grace', async () => {
    const helm = await helmScript('grace', 1_000);
    await helm.hang(true, true);
    const started = performance.now();
    const call = withDeadlineSignal(300, 'helm', (signal) => helm.client.status('r', 'ns', signal));
    const pid = await startedPid(helm, 1);
    await expect(call).rejects.toBeInstanceOf(DeadlineError);
    expect(performance.now() - started).toBeLessThan(1_000);
    // It ignores SIGTERM: alive through most of the grace, then killed.
    await sleep(500);
    expect(alive(pid)).toBe(true);
    const gone = await goneAfter(pid, 3_000);
    expect(gone).toBeLessThan(3_000);
  });

  it('validate: the answer comes at the 5 s check deadline and the hung `helm version` is gone right after', async () => {
    const helm = await helmScript('validate', 500);
    await helm.hang(true);
    const started = performance.now();
    const report = validateProvisionRequest(
      {
        config: testConfig(),
        registry: { get: async () => undefined, read: async () => undefined },
        claims: { owner: async () => undefined },
        // The cluster answers at once; only Helm hangs.
        kube: { version: { getCode: async () => ({}) } } as unknown as ValidationDeps['kube'],
        helm: helm.client,
      },
      { companyName: 'Deadline Garage', ownerEmail: 'owner@example.com', ownerFirstName: 'Ada', ownerLastName: 'Lovelace', subscriptionTier: 'free' },
    );
    const pid = await startedPid(helm, 1);
    const answer = await report;
    expect(performance.now() - started).toBeLessThan(6_000);
    expect(answer.errors).toEqual([expect.objectContaining({ path: 'helm', message: expect.stringMatching(/helm did not answer within 5000 ms/) })]);
    expect(await goneAfter(pid, 1_000)).toBeLessThan(1_000);
  });

  it('tenant status: dependency unavailable (503) at the 10 s deadline and the hung `helm status` is gone right after', async () => {
    const helm = await helmScript('status', 500);
    await helm.hang(true);
    const started = performance.now();
    const status = readTenantStatus(
      {
        config: testConfig(),
        registry: { get: async () => tenant },
        workloads: { readDatabase: async () => undefined, readDeployment: async () => undefined, readCertificate: async () => undefined },
        helm: helm.client,
      },
      tenant.tenantId,
    );
    const pid = await startedPid(helm, 1);
    await expect(status).rejects.toMatchObject({ message: 'Helm is unavailable; try again shortly', cause: expect.any(DeadlineError) });
    expect(performance.now() - started).toBeLessThan(11_000);
    expect(await goneAfter(pid, 1_000)).toBeLessThan(1_000);
  }, 20_000);

  it('version: a caller that gives up kills the run only when nobody else waits, and never leaves it cached', async () => {
    const helm = await helmScript('version', 500);
    await helm.hang(true);
    // Alone: giving up kills the child and forgets the run.
    await expect(withDeadlineSignal(200, 'helm', (signal) => helm.client.version(signal))).rejects.toBeInstanceOf(DeadlineError);
    const first = await startedPid(helm, 1);
    expect(await goneAfter(first, 1_000)).toBeLessThan(1_000);

    // Two waiters: the one that gives up leaves the run to the other.
    const patient = new AbortController();
    const impatient = withDeadlineSignal(200, 'helm', (signal) => helm.client.version(signal));
    const waiting = helm.client.version(patient.signal);
    const second = await startedPid(helm, 2);
    await expect(impatient).rejects.toBeInstanceOf(DeadlineError);
    await sleep(200);
    expect(alive(second)).toBe(true);
    patient.abort(new Error('done waiting'));
    await expect(waiting).rejects.toThrow('done waiting');
    expect(await goneAfter(second, 1_000)).toBeLessThan(1_000);

    // Helm answers now: a fresh run (not a cached cancellation), then the answer is cached.
    await helm.hang(false);
    expect(await helm.client.version()).toBe('v4.0.0+gtest');
    expect(await helm.client.version(AbortSignal.timeout(1_000))).toBe('v4.0.0+gtest');
    expect(await helm.pids()).toHaveLength(3);
  });
});
