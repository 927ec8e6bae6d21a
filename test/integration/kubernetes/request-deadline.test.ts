import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTenantFinder } from '../../../src/billing/tenant-finder.ts';
import { createKubernetes, type Kubernetes } from '../../../src/kubernetes/kube-client.ts';
import { latestReleaseRecord } from '../../../src/kubernetes/release-records.ts';
import { ensureTenantSecrets } from '../../../src/kubernetes/tenant-secrets.ts';
import { createTenantStore } from '../../../src/kubernetes/tenant-store.ts';
import { createTenantWorkloads } from '../../../src/kubernetes/tenant-workloads.ts';

// An API server that accepts every connection and never answers: what a hung control plane, or a
// network path that drops replies, looks like to a client.
let server: Server;
let dir: string;
let kube: Kubernetes;
const received: string[] = [];

beforeAll(async () => {
  server = createServer((req) => void received.push(`${req.method} ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'tp-hung-api-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'hung',
      clusters: [{ name: 'hung', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'unused' } }],
      contexts: [{ name: 'hung', context: { cluster: 'hung', user: 'u' } }],
    }),
  );
  kube = createKubernetes({ source: 'kubeconfig', kubeconfig }, { requestTimeoutMs: 400 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** How long `call` took to fail; it must fail, not hang. */
async function failsWithin(call: () => Promise<unknown>, ms: number) {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    call().then(
      () => 'resolved',
      (error: unknown) => error,
    ),
    new Promise((resolve) => (timer = setTimeout(resolve, ms, 'still hanging'))),
  ]);
  clearTimeout(timer);
  expect(outcome).toBeInstanceOf(Error);
  return Date.now() - started;
}

describe('a Kubernetes API server that never answers', () => {
  it('fails the billing lookup (label-selected namespace lists) at the request deadline instead of hanging', async () => {
    const find = createTenantFinder(createTenantStore(kube.core, 'hung-'));
    const ms = await failsWithin(() => find('cus_1', 'sub_1'), 3_000);
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(received.some((r) => r.startsWith('GET /api/v1/namespaces?'))).toBe(true);
  });

  it("fails the reconcile sweep's reads (release records, database, deployments) at the request deadline", async () => {
    const workloads = createTenantWorkloads(kube);
    for (const read of [
      () => latestReleaseRecord(kube.core, 'hung-t1', 'hung-t1'),
      () => workloads.readDatabase('hung-t1', 't1-postgres'),
      () => workloads.readDeployment('hung-t1', 't1-api'),
    ])
      expect(await failsWithin(read, 3_000)).toBeLessThan(3_000);
  });

  it("aborts a write with the job's signal before the request deadline, and sends none once the signal has aborted", async () => {
    const slow = createKubernetes({ source: 'kubeconfig', kubeconfig: join(dir, 'kubeconfig') }, { requestTimeoutMs: 60_000 });
    const job = new AbortController();
    setTimeout(() => job.abort(new Error('job cancelled')), 200);
    const input = { namespace: 'hung-t2', tenantId: 't2', databaseOwner: 'owner', adminUsername: 'admin' };
    const ms = await failsWithin(() => ensureTenantSecrets(slow.core, input, job.signal), 3_000);
    expect(ms).toBeLessThan(1_000);
    const before = received.length;
    await expect(ensureTenantSecrets(slow.core, input, job.signal)).rejects.toThrow('job cancelled');
    expect(received.length).toBe(before);
  });
});
