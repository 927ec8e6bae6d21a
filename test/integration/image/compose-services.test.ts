import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { IMAGE_TAG } from '../../../scripts/image-build.ts';
import { createPodman } from '../../../scripts/image-podman.ts';
import { freePort } from '../../sandbox/ports.ts';
import { TEST_JWT_SECRET } from '../../support/service-deps.ts';
import { readableKubeconfig, startContainer, type ChartContainer } from './chart-container.ts';

// docker-compose.yml's provisioner services (api, worker) run with podman on the image the check
// builds: their command, environment, volumes and healthcheck as the file gives them. Two things
// are swapped because they need images this machine cannot pull: Redis (this run's, for the redis
// service) and the cluster (the sandbox's kubeconfig in the kubeconfig volume, for k3s). Host
// networking stands in for compose's network, so the ports are free ones rather than 3000/3001.
const IMAGE_BUILD_MS = 30 * 60_000;
const root = resolve(import.meta.dirname, '../../..');
const podman = createPodman();
const containers: ChartContainer[] = [];

type Service = {
  command: string[];
  environment: Record<string, string>;
  volumes: string[];
  healthcheck: { test: string[] };
  stop_grace_period?: string;
};
let services: Record<string, Service>;

beforeAll(async () => {
  await execa(process.execPath, ['scripts/image-build.ts'], { cwd: root, stdout: 'inherit', stderr: 'inherit' });
  services = (parse(await readFile(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> }).services;
}, IMAGE_BUILD_MS);

afterAll(async () => {
  for (const container of containers) await container.remove();
});

/** Compose's `${VAR:?message}` (given here) and `${VAR:-default}`. */
const interpolate = (value: string, given: Record<string, string>) =>
  value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => given[name] ?? (kind === '-' ? (rest ?? '') : ''));

async function runService(name: 'api' | 'worker', queuePrefix: string): Promise<ChartContainer> {
  const service = services[name]!;
  const port = await freePort();
  const environment = Object.fromEntries(
    Object.entries(service.environment).map(([k, v]) => [k, interpolate(String(v), { AUTH_JWT_SECRET: TEST_JWT_SECRET })]),
  );
  const kubeconfigPath = environment['KUBECONFIG']!;
  const kubeDir = await readableKubeconfig(inject('kubeconfig'), kubeconfigPath.split('/').at(-1));
  const volumes = service.volumes.map((volume) => {
    const [source = '', target = '', mode = 'rw'] = volume.split(':');
    if (source.startsWith('./')) return `${resolve(root, source)}:${target}:${mode}`;
    if (source === 'kubeconfig') return `${kubeDir}:${target}:${mode}`;
    throw new Error(`compose volume ${volume} has no stand-in here`);
  });
  const env = {
    ...environment,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: queuePrefix,
    ...(name === 'api' ? { PORT: String(port) } : { HEALTH_PORT: String(port) }),
  };
  const container = await startContainer(podman, `tp-compose-${name}-${randomBytes(4).toString('hex')}`, port, [
    '--network',
    'host',
    ...volumes.flatMap((v) => ['--volume', v]),
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    IMAGE_TAG,
    ...service.command,
  ]);
  containers.push(container);
  return container;
}

describe('docker-compose.yml, its api and worker services run with podman', () => {
  it('start with their command and environment, pass their own healthchecks, and stop within their grace periods', async () => {
    const prefix = `cmp${randomBytes(4).toString('hex')}`;
    const [api, worker] = await Promise.all([runService('api', prefix), runService('worker', prefix)]);
    await Promise.all([api.ready(), worker.ready()]);
    for (const [name, container] of [
      ['api', api],
      ['worker', worker],
    ] as const) {
      const service = services[name]!;
      expect(service.healthcheck.test[0]).toBe('CMD');
      // The healthcheck probes the port compose gives the service; here that is the free one chosen above.
      const probe = service.healthcheck.test.slice(1).map((arg) => arg.replace(/127\.0\.0\.1:300[01]/, new URL(container.url).host));
      // Rejects unless the probe exits 0.
      await expect(podman(['exec', container.name, ...probe]), name).resolves.toBeDefined();
    }
    // Compose's default grace is 10 s; the worker's is stop_grace_period.
    for (const [container, graceMs] of [
      [api, 10_000],
      [worker, Number.parseInt(services['worker']!.stop_grace_period ?? '10', 10) * 1000],
    ] as const) {
      const { exitCode, ms } = await container.terminate();
      expect(exitCode, await container.logs()).toBe(0);
      expect(ms).toBeLessThan(graceMs);
    }
  });
});
