import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The pinned versions of every sandbox component. Each is cached under
 * `<cacheRoot>/<name>-<version>/`, so bumping a version here builds the new one beside the old.
 * `cnpg` and `barmanCloud` are CRD sets taken from their Go modules (a download, no build).
 */
export const SANDBOX_VERSIONS = {
  kubernetes: 'v1.37.2',
  etcd: 'v3.6.16',
  kwok: 'v0.8.0',
  helm: 'v4.3.1',
  stripeMock: 'v0.203.0',
  cnpg: 'v1.30.1',
  barmanCloud: 'v0.15.0',
  versitygw: 'v1.8.0',
} as const;

export type SandboxComponent = keyof typeof SANDBOX_VERSIONS;

/**
 * What every sandbox needs; the rest is built only when a suite (or `up --object-store`) asks for
 * it, so a run that never uses the object store never spends minutes compiling one.
 */
export const CORE_COMPONENTS = ['kubernetes', 'etcd', 'kwok', 'helm', 'stripeMock', 'cnpg', 'barmanCloud'] as const satisfies readonly SandboxComponent[];
export const OPTIONAL_COMPONENTS = ['versitygw'] as const satisfies readonly SandboxComponent[];

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
    versitygw: join(componentDir('versitygw', env), 'versitygw'),
  };
}
export type SandboxBinaries = ReturnType<typeof sandboxBinaries>;
