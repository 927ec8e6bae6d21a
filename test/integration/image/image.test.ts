import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../../scripts/dev-token.ts';
import { dockerfileBases } from '../../../scripts/image-bases.ts';
import { IMAGE_TAG } from '../../../scripts/image-build.ts';
import { createPodman, RUN_FLAGS } from '../../../scripts/image-podman.ts';
import { freePort } from '../../sandbox/ports.ts';
import { SANDBOX_VERSIONS } from '../../sandbox/versions.ts';
import { kubeClients } from '../../support/kube.ts';
import { TEST_JWT_SECRET } from '../../support/service-deps.ts';
import { runAsChart, type ChartContainer } from './chart-container.ts';
import { installedNodeModules, installedPackages, lockedPackages, packageFiles, pathsUnder, productionClosure } from './image-contents.ts';

// The Dockerfile, built unchanged with podman on local stand-ins for its base images
// (scripts/image-build.ts; a cold build takes minutes, so the hook may too), then run as the
// provisioner chart runs it against this run's sandbox and Redis.
const IMAGE_BUILD_MS = 30 * 60_000;
const root = resolve(import.meta.dirname, '../../..');
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const podman = createPodman();
const queuePrefix = `img${randomBytes(4).toString('hex')}`;
const tenants: string[] = [];
const containers: ChartContainer[] = [];
let api: ChartContainer;
let worker: ChartContainer;
let token: string;

beforeAll(async () => {
  await execa(process.execPath, ['scripts/image-build.ts'], { cwd: root, stdout: 'inherit', stderr: 'inherit' });
}, IMAGE_BUILD_MS);

const start = async (mode: 'api' | 'worker') => {
  const container = await runAsChart(podman, { mode, port: await freePort(), kubeconfig, redisUrl, jwtSecret: TEST_JWT_SECRET, queuePrefix });
  containers.push(container);
  await container.ready();
  return container;
};

beforeAll(async () => {
  token = await mintDevToken(TEST_JWT_SECRET, 1);
  [api, worker] = await Promise.all([start('api'), start('worker')]);
});

afterAll(async () => {
  // Tenants a failed test left behind: their namespaces go (the tenant record lives on the namespace).
  const { core } = kubeClients(kubeconfig);
  for (const tenantId of tenants) await core.deleteNamespace({ name: `tenant-${tenantId}` }).catch(() => undefined);
  for (const container of containers) await container.remove();
});

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${api.url}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers } });

async function provision(tier = 'demo'): Promise<{ tenantId: string; jobId: string }> {
  const res = await call('/api/provisioning/provision', {
    method: 'POST',
    body: JSON.stringify({
      companyName: `Image Garage ${randomBytes(2).toString('hex')}`,
      ownerEmail: 'owner@example.com',
      ownerFirstName: 'Ada',
      ownerLastName: 'Lovelace',
      subscriptionTier: tier,
    }),
  });
  expect(res.status).toBe(202);
  const accepted = (await res.json()) as { tenantId: string; jobId: string };
  tenants.push(accepted.tenantId);
  return accepted;
}

async function jobState(jobId: string): Promise<string> {
  return ((await (await call(`/api/jobs/${jobId}`)).json()) as { state: string }).state;
}

async function settled(jobId: string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await jobState(jobId);
    if (state === 'completed' || state === 'failed' || Date.now() > deadline) return state;
    await sleep(250);
  }
}

async function deprovision(tenantId: string): Promise<void> {
  const res = await call(`/api/provisioning/${tenantId}/deprovision`, { method: 'POST' });
  expect(res.status).toBe(202);
  expect(await settled(((await res.json()) as { jobId: string }).jobId)).toBe('completed');
  tenants.splice(tenants.indexOf(tenantId), 1);
}

describe('the container image, run as the provisioner chart runs it', () => {
  it('serves /readyz from the API and the worker, as uid 1000 on a read-only root filesystem', async () => {
    for (const c of [api, worker]) {
      expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
      expect((await podman(['exec', c.name, 'id', '-u'])).stdout).toBe('1000');
      const write = await podman(['exec', c.name, 'touch', '/app/src/written'], { reject: false });
      expect(write.stderr).toContain('Read-only file system');
    }
  });

  it('provisions a tenant through the containers to ready, then deprovisions it', async () => {
    const { tenantId, jobId } = await provision();
    expect(await settled(jobId)).toBe('completed');
    const status = (await (await call(`/api/provisioning/${tenantId}/status`)).json()) as { phase: string; release: { status: string } };
    expect(status).toMatchObject({ phase: 'ready', release: { status: 'deployed' } });
    await deprovision(tenantId);
  });

  it('has the pinned Helm', async () => {
    const { stdout } = await podman([
      'run',
      '--rm',
      ...RUN_FLAGS,
      '--user',
      '1000:1000',
      '--read-only',
      '--network',
      'none',
      '--entrypoint',
      'helm',
      IMAGE_TAG,
      'version',
      '--short',
    ]);
    expect(stdout).toMatch(new RegExp(`^${SANDBOX_VERSIONS.helm.replaceAll('.', '\\.')}(\\+\\S*)?$`));
  });

  it('holds the production dependencies only, and nothing the Dockerfile does not mean to ship', async () => {
    const image = (await podman(['image', 'mount', IMAGE_TAG])).stdout.trim();
    const base = (await podman(['image', 'mount', `docker.io/library/${(await dockerfileBases()).node}`])).stdout.trim();
    try {
      expect((await readdir(join(image, 'app'))).sort()).toEqual(['charts', 'config', 'node_modules', 'package.json', 'src']);
      // Each shipped file is one of the repository's (no editor swap file, log or stray build output).
      for (const dir of ['src', 'config', 'charts']) {
        const shipped = await pathsUnder(join(image, 'app', dir));
        const tree = await pathsUnder(join(root, dir));
        expect(
          [...shipped].filter((p) => !tree.has(p)),
          dir,
        ).toEqual([]);
        expect(shipped.size, dir).toBeGreaterThan(0);
      }
      const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8'));
      const needed = productionClosure(lock);
      const installed = await installedNodeModules(join(image, 'app'));
      // Nothing the service does not need (no dev dependency, nothing outside the lockfile), and all it does need.
      expect([...installed].filter((p) => !needed.has(p))).toEqual([]);
      expect([...needed].filter((p) => !installed.has(p) && lockedPackages(lock).has(p) && !lock.packages[p].optional)).toEqual([]);
      expect(installed.has('node_modules/bullmq')).toBe(true);

      // Outside /app: only Helm, Helm's home, and what the runtime stage's apt-get installed.
      const skip = ['/proc', '/sys', '/dev', '/app'];
      const [after, before] = await Promise.all([pathsUnder(image, skip), pathsUnder(base, skip)]);
      const newPackages = [...(await installedPackages(image))].filter((p) => !before.has(`/var/lib/dpkg/info/${p}.list`));
      expect(newPackages).toEqual(expect.arrayContaining(['tini', 'ca-certificates']));
      const owned = await packageFiles(image, newPackages);
      // dpkg and apt state, and what ca-certificates makes when it is configured.
      const packageState =
        /^\/(var\/lib\/dpkg|var\/log|var\/cache\/(debconf|apt|ldconfig)|var\/lib\/apt|etc\/ssl\/certs)(\/|$)|^\/etc\/ca-certificates\.conf$|^\/usr\/local\/share\/ca-certificates$/;
      const shippedOutsideApp = /^\/usr\/local\/bin\/helm$|^\/var\/lib\/tenant-provisioner(\/helm)?$/;
      const stray = [...after].filter((p) => !before.has(p) && !owned.has(p) && !packageState.test(p) && !shippedOutsideApp.test(p));
      expect(stray).toEqual([]);
      expect(await readdir(join(image, 'tmp'))).toEqual([]);
    } finally {
      await podman(['image', 'unmount', '--all'], { reject: false });
    }
  });

  it('drains on SIGTERM: the worker hands back or finishes its running job and exits 0 within the grace period, as does the API', async () => {
    const { tenantId, jobId } = await provision();
    const deadline = Date.now() + 30_000;
    while ((await jobState(jobId)) !== 'active' && Date.now() < deadline) await sleep(50);
    const stopped = await worker.terminate();
    // The chart's grace periods: worker 120 s, API 30 s.
    expect(stopped, await worker.logs()).toMatchObject({ exitCode: 0 });
    expect(stopped.ms).toBeLessThan(120_000);
    expect(await worker.logs()).toContain('"msg":"stopped"');
    expect(await jobState(jobId)).not.toBe('failed');

    // The job was not lost: a new worker takes it up (or it had finished) and the tenant gets there.
    const replacement = await start('worker');
    expect(await settled(jobId)).toBe('completed');
    await deprovision(tenantId);

    for (const [container, graceMs] of [
      [replacement, 120_000],
      [api, 30_000],
    ] as const) {
      const { exitCode, ms } = await container.terminate();
      expect(exitCode, await container.logs()).toBe(0);
      expect(ms).toBeLessThan(graceMs);
    }
  });
});
