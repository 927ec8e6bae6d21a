// Podman as the image check uses it: Debian's podman and runc, no Docker engine and no registry.
// Everything it stores (the base image stand-ins, build layers, the built image) lives under one
// cache directory beside the sandbox binaries', so a warm machine builds nothing twice and a
// clean one is a removed directory.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import type { SystemPackage } from './system-packages.ts';

/** What building and running the image needs from Debian (as .ci/run installs it). */
export const IMAGE_PACKAGES: readonly SystemPackage[] = [
  { name: 'podman', provides: 'podman' },
  // crun 1.8 cannot run containers here (setrlimit refused, hybrid cgroups); runc can.
  { name: 'runc', provides: 'runc' },
  { name: 'debootstrap', provides: 'debootstrap' },
];

/** `IMAGE_CACHE_DIR`, else `~/.cache/tenant-provisioner/images`. */
export function imageCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.IMAGE_CACHE_DIR ?? join(homedir(), '.cache', 'tenant-provisioner', 'images');
}

/**
 * Flags every `podman run` needs on these machines: runc, and explicit limits (without them the
 * runtime asks for more open files than the host allows and the container does not start).
 */
export const RUN_FLAGS = ['--runtime', 'runc', '--ulimit', 'nofile=16384:16384', '--ulimit', 'nproc=4096:4096'] as const;

export type Podman = {
  /** Runs `podman <args>` against the cache's storage; rejects with podman's stderr on failure. */
  (args: readonly string[], options?: Options): Promise<{ stdout: string; stderr: string }>;
  /** The global flags, for a caller that spawns podman itself (a long-running container). */
  globalArgs: readonly string[];
};

export function createPodman(env: NodeJS.ProcessEnv = process.env): Podman {
  const root = imageCacheRoot(env);
  const globalArgs = [
    '--root',
    join(root, 'storage'),
    // Run-time state (locks, mounts) belongs on a directory that does not outlive a reboot.
    '--runroot',
    '/run/tenant-provisioner/podman',
    '--storage-driver',
    'overlay',
    // No systemd or journald on these machines.
    '--cgroup-manager',
    'cgroupfs',
    '--events-backend',
    'file',
  ];
  const podman = async (args: readonly string[], options: Options = {}) => {
    const result = await execa('podman', [...globalArgs, ...args], { stripFinalNewline: true, ...options });
    return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
  };
  return Object.assign(podman, { globalArgs });
}

/** The value of one label of a local image, or undefined when the image is not there. */
export async function imageLabel(podman: Podman, image: string, label: string): Promise<string | undefined> {
  try {
    const { stdout } = await podman(['image', 'inspect', '--format', `{{ index .Labels "${label}" }}`, image]);
    return stdout.trim() === '<no value>' ? '' : stdout.trim();
  } catch {
    return undefined;
  }
}
