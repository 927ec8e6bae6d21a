import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHelmClient } from '../../../src/helm/helm-client.ts';
import { resolveHelmRoute } from '../../../src/helm/helm-route.ts';
import { jobHelm } from '../../../src/helm/job-helm.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createJobFences, FENCE_CLOSED } from '../../../src/worker/job-fence.ts';
import { keepLease } from '../../../src/worker/lease-keeper.ts';
import { createTenantLeases } from '../../../src/worker/tenant-lease.ts';
import { sandboxBinaries } from '../../sandbox/versions.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';
import { releaseStatusSeen } from '../../support/release-watch.ts';

// The soak's defect (one-mutator, pause-worker): SIGSTOP of a worker's process group past its lease
// TTL, then SIGCONT. The group thaws at once, so the worker's Helm child runs before the worker's
// loop can see that its lease ended and kill it; meanwhile another worker holds the tenant. Here a
// real `helm upgrade` through the job's real fence against the sandbox: the child is stopped in
// the middle of its upgrade (its pending-upgrade record written), the lease runs out while the
// loop is blocked, and the child is continued in the same tick while the loop stays blocked. What
// the thawed child sends must not reach the API server: the release record stays as it was.
const kubeconfig = inject('kubeconfig');
const redis = new Redis(inject('redisUrl'));
const kube = kubeClients(kubeconfig);
const prefix = `fence${randomBytes(3).toString('hex')}`;
const TTL_MS = 1_500;
/** How long the child runs while the loop cannot: several times what the rest of its upgrade needs. */
const THAW_MS = 1_500;
const namespace = uniqueName('fence-thaw');
const release = 'fenced';
let dir: string;
const stopped: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tp-fence-thaw-'));
  // Many objects: Helm applies them one by one between its pending-upgrade record and the final one.
  mkdirSync(join(dir, 'chart', 'templates'), { recursive: true });
  writeFileSync(join(dir, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: fence-probe\nversion: 0.1.0\n');
  writeFileSync(
    join(dir, 'chart', 'templates', 'configmaps.yaml'),
    '{{- range $i := until 60 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe-{{ $i }}\ndata:\n  value: {{ $.Values.value | quote }}\n{{- end }}\n',
  );
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  for (const pid of stopped) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

/** The Helm child of this process running `upgrade` of the release, from /proc. */
function helmChild(): number | undefined {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (ppid === process.pid && args.includes('upgrade') && args.includes(release)) return Number(entry);
    } catch {
      /* ended while we looked */
    }
  }
  return undefined;
}

/** The release's storage records, each with its status and resourceVersion: any write by Helm changes this. */
async function records(): Promise<string[]> {
  const list = await kube.core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` });
  return list.items.map((s) => `${s.metadata!.name} ${s.metadata!.labels!['status']} rv${s.metadata!.resourceVersion}`).sort();
}

const blockLoop = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe("a job's Helm child thawed after its lease ended", () => {
  it('reaches nothing: its fence forwarded nothing after validity ended, refused the late bytes, and the release record did not change', async () => {
    const helm = createHelmClient({ binary: sandboxBinaries().helm, kubeconfig, killGraceMs: 10_000, env: process.env });
    const chart = { path: join(dir, 'chart') };
    await helm.upgradeInstall({ release, namespace, chart, values: 'value: one' });

    const lines: string[] = [];
    const logger = createLogger({ level: 'info', pretty: false, destination: { write: (line: string) => void lines.push(line) } }).child({
      jobId: 'thaw-1',
      tenantId: 'fence-thaw',
    });
    const leases = createTenantLeases(redis, { prefix, ttlMs: TTL_MS });
    const lease = (await leases.acquire('fence-thaw'))!;
    const keeper = keepLease(leases, lease, new AbortController().signal, logger, { marginMs: 300 });
    const route = resolveHelmRoute({ source: 'kubeconfig', kubeconfig }, process.env);
    const fence = await createJobFences(route).open({ lease, keeper, logger });
    const job = jobHelm(helm, keeper.signal, keeper.lost, fence.connection);

    // Stopped the moment its pending-upgrade record appears: in the middle of the upgrade.
    let pid: number | undefined;
    let stoppedAt = 0;
    const pending = releaseStatusSeen(kube.kc, namespace, release, 'pending-upgrade', () => {
      pid ??= helmChild();
      if (pid === undefined) return;
      process.kill(pid, 'SIGSTOP');
      stopped.push(pid);
      stoppedAt = Date.now();
    });
    await pending.ready;
    const upgrade = job.helm.upgradeInstall({ release, namespace, chart, values: 'value: two' }).then(
      () => 'completed',
      (error: unknown) => `failed: ${String(error)}`,
    );
    for (let i = 0; i < 2_000 && pid === undefined && stoppedAt === 0; i++) {
      pid = helmChild();
      await sleep(5);
    }
    expect(await pending.seen, 'the pending-upgrade record was never seen').toBe(true);
    expect(stoppedAt, 'the Helm child was not found when its record appeared').toBeGreaterThan(0);
    // Requests Helm sent just before the stop land; the lease is still renewed meanwhile.
    await sleep(300);
    const atStop = await records();
    expect(
      atStop.some((r) => / pending-upgrade /.test(r)),
      `Helm finished before it was stopped: ${atStop.join(', ')}`,
    ).toBe(true);
    expect(keeper.heldNow()).toBe(true);

    // From a timer callback: when it returns, the loop's next phase reads sockets before any
    // later timer runs, as a thawed worker's loop may read Helm's bytes before its deadline fires.
    const thaw = await new Promise<{ heldAtThaw: boolean; thawAt: number }>((resolve) =>
      setTimeout(() => {
        blockLoop(TTL_MS); // the worker frozen past its lease: no renewal, no deadline timer
        const heldAtThaw = keeper.heldNow();
        const thawAt = Date.now();
        process.kill(pid!, 'SIGCONT'); // the group thaws at once: the child runs...
        blockLoop(THAW_MS); // ...while the worker's loop cannot
        resolve({ heldAtThaw, thawAt });
      }, 0),
    );
    const outcome = await upgrade;
    await job.idle();
    await fence.close();
    keeper.stop();
    route.dispose();

    expect(thaw.heldAtThaw).toBe(false);
    expect(await records(), 'the release record changed after the stop').toEqual(atStop);
    expect(outcome).toMatch(/^failed/);
    const closed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === FENCE_CLOSED)!;
    expect(closed).toMatchObject({ tenantId: 'fence-thaw', jobId: 'thaw-1', leaseToken: lease.token });
    expect(Number(closed['forwardedFrom'])).toBeLessThan(stoppedAt);
    expect(Number(closed['forwardedUntil']), 'forwarded after the lease ended').toBeLessThan(thaw.thawAt);
    expect(Number(closed['refused']), 'the thawed child sent nothing the fence refused').toBeGreaterThan(0);
    console.warn(
      `thawed Helm child: stopped ${thaw.thawAt - stoppedAt} ms, ran ${THAW_MS} ms with the loop blocked; fence forwarded ` +
        `${Number(closed['forwardedUntil']) - Number(closed['forwardedFrom'])} ms before the stop, refused ${String(closed['refused'])}; records ${atStop.join(', ')}`,
    );
  });
});
