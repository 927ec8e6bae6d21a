import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The pinned versions of every sandbox binary. Each binary is cached under
 * `<cacheRoot>/<name>-<version>/`, so bumping a version here builds the new one beside the old.
 */
export const SANDBOX_VERSIONS = {
  kubernetes: 'v1.37.2',
  etcd: 'v3.6.16',
  kwok: 'v0.8.0',
  helm: 'v4.3.1',
  stripeMock: 'v0.203.0',
} as const;

export type SandboxComponent = keyof typeof SANDBOX_VERSIONS;

/** Where binaries are cached: `SANDBOX_CACHE_DIR`, else `~/.cache/tenant-provisioner/sandbox`. */
export function sandboxCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.SANDBOX_CACHE_DIR ?? join(homedir(), '.cache', 'tenant-provisioner', 'sandbox');
}

export function componentDir(component: SandboxComponent, env: NodeJS.ProcessEnv = process.env): string {
  return join(sandboxCacheRoot(env), `${component}-${SANDBOX_VERSIONS[component]}`);
}

/** Absolute paths of the pinned binaries (they exist once `npm run sandbox -- build` has run). */
export function sandboxBinaries(env: NodeJS.ProcessEnv = process.env) {
  const kube = componentDir('kubernetes', env);
  return {
    kubeApiserver: join(kube, 'kube-apiserver'),
    kubeControllerManager: join(kube, 'kube-controller-manager'),
    kubeScheduler: join(kube, 'kube-scheduler'),
    kubectl: join(kube, 'kubectl'),
    etcd: join(componentDir('etcd', env), 'etcd'),
    kwok: join(componentDir('kwok', env), 'kwok'),
    helm: join(componentDir('helm', env), 'helm'),
    stripeMock: join(componentDir('stripeMock', env), 'stripe-mock'),
  };
}
export type SandboxBinaries = ReturnType<typeof sandboxBinaries>;
