import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { IMAGE_TAG } from '../../../scripts/image-build.ts';
import { RUN_FLAGS, type Podman } from '../../../scripts/image-podman.ts';

export type Mode = 'api' | 'worker';

/**
 * The image run the way charts/tenant-provisioner runs it (templates/_helpers.tpl): uid and gid
 * 1000, a read-only root filesystem, no capabilities, no privilege escalation, the config file
 * mounted read-only at /etc/tenant-provisioner, emptyDirs (here tmpfs) on /tmp and Helm's home,
 * and the chart's environment. Host networking stands in for the pod network: the sandbox's API
 * server and Redis listen on loopback.
 */
export async function runAsChart(
  podman: Podman,
  o: {
    mode: Mode;
    port: number;
    kubeconfig: string;
    redisUrl: string;
    jwtSecret: string;
    queuePrefix: string;
  },
) {
  const name = `tp-image-check-${o.mode}-${randomBytes(4).toString('hex')}`;
  // What the chart's ConfigMap holds (tp.config): the listener and the fields it owns.
  const configDir = await mkdtemp(join(tmpdir(), 'tp-image-config-'));
  const server = o.mode === 'api' ? { host: '0.0.0.0', port: o.port } : { host: '0.0.0.0', healthPort: o.port };
  await writeFile(join(configDir, 'config.yaml'), stringify({ server, platform: { namespacePrefix: 'tenant-' } }));
  await chmod(configDir, 0o755); // readable by uid 1000, as a mounted ConfigMap is
  const kubeDir = await readableKubeconfig(o.kubeconfig);
  const env = {
    NODE_ENV: 'production',
    CONFIG_FILE: '/etc/tenant-provisioner/config.yaml',
    REDIS_URL: o.redisUrl,
    AUTH_JWT_SECRET: o.jwtSecret,
    TMPDIR: '/tmp',
    KUBECONFIG: '/kube/kubeconfig',
    QUEUE_PREFIX: o.queuePrefix,
    HELM_CACHE_HOME: '/var/lib/tenant-provisioner/helm/cache',
    HELM_CONFIG_HOME: '/var/lib/tenant-provisioner/helm/config',
    HELM_DATA_HOME: '/var/lib/tenant-provisioner/helm/data',
    ...(o.mode === 'worker' ? { HEALTH_PORT: String(o.port) } : {}),
  };
  return startContainer(podman, name, o.port, [
    '--user',
    '1000:1000',
    '--read-only',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--network',
    'host',
    // emptyDirs (fsGroup 1000 in the chart): writable by the service, gone with the pod; U chowns to the user.
    '--tmpfs',
    '/tmp:rw,size=256m,mode=1777',
    '--tmpfs',
    '/var/lib/tenant-provisioner/helm:rw,size=256m,U',
    '--volume',
    `${configDir}:/etc/tenant-provisioner:ro`,
    '--volume',
    `${kubeDir}:/kube:ro`,
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    IMAGE_TAG,
    o.mode,
  ]);
}

/** A kubeconfig copy readable by uid 1000, as a mounted Secret is (the sandbox's own file is its owner's only). */
export async function readableKubeconfig(kubeconfig: string, fileName = 'kubeconfig'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-image-kube-'));
  await copyFile(kubeconfig, join(dir, fileName));
  await chmod(dir, 0o755);
  await chmod(join(dir, fileName), 0o644);
  return dir;
}

/** `podman run --detach` with these arguments (image and command included), and a handle on the container. */
export async function startContainer(podman: Podman, name: string, port: number, args: readonly string[]) {
  await podman(['run', '--detach', '--name', name, ...RUN_FLAGS, ...args]);
  const logs = async () => {
    const { stdout, stderr } = await podman(['logs', name], { reject: false });
    return `${stdout}\n${stderr}`;
  };
  const state = async () => (await podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name])).stdout.split(' ');
  return {
    name,
    logs,
    url: `http://127.0.0.1:${port}`,
    /** Resolves once /readyz answers 200; fails with the container's log if it exits or takes too long. */
    async ready(timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (
        !(await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        const [status] = await state();
        if (status === 'exited' || Date.now() > deadline) throw new Error(`${name} did not become ready (${status}):\n${await logs()}`);
        await sleep(250);
      }
    },
    /** Sends SIGTERM (to tini, which forwards it) and waits for the exit: its code and how long it took. */
    async terminate(): Promise<{ exitCode: number; ms: number }> {
      const started = Date.now();
      await podman(['kill', '--signal', 'TERM', name]);
      const { stdout } = await podman(['wait', name]);
      return { exitCode: Number(stdout.trim()), ms: Date.now() - started };
    },
    async remove(): Promise<void> {
      await podman(['rm', '--force', '--time', '0', name], { reject: false });
    },
  };
}

export type ChartContainer = Awaited<ReturnType<typeof startContainer>>;
