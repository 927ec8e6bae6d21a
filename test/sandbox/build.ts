import { existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CORE_COMPONENTS, SANDBOX_VERSIONS, componentDir, sandboxBinaries, sandboxCacheRoot, type SandboxComponent } from './versions.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** KWOK's own stage definitions, taken from the pinned module rather than copied into the repo. */
export const UPSTREAM_KWOK_STAGES = {
  'node-initialize.yaml': 'kustomize/stage/node/fast/node-initialize.yaml',
  'node-heartbeat-with-lease.yaml': 'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod-ready.yaml': 'kustomize/stage/pod/fast/pod-ready.yaml',
  'pod-complete.yaml': 'kustomize/stage/pod/fast/pod-complete.yaml',
  'pod-delete.yaml': 'kustomize/stage/pod/fast/pod-delete.yaml',
} as const;

export function kwokStagesDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(componentDir('kwok', env), 'stages');
}

/**
 * The operator CRDs `up` installs, as released in the pinned modules rather than written by hand:
 * the CloudNativePG kinds the chart and the provisioner use, and the Barman Cloud plugin's
 * ObjectStore. Not CloudNativePG's other eight (Pooler, Database, …): nothing here uses them, and
 * they cost each `up` 2.8 s and the API server 59 MB (measured 2026-12-04).
 */
export const UPSTREAM_CRDS: Record<'cnpg' | 'barmanCloud', { module: string; files: readonly string[] }> = {
  cnpg: {
    module: 'github.com/cloudnative-pg/cloudnative-pg',
    files: ['clusters', 'backups', 'scheduledbackups'].map((kind) => `config/crd/bases/postgresql.cnpg.io_${kind}.yaml`),
  },
  barmanCloud: { module: 'github.com/cloudnative-pg/plugin-barman-cloud', files: ['config/crd/bases/barmancloud.cnpg.io_objectstores.yaml'] },
};

/** The cached upstream CRD files, for `kubectl apply -f` (files, not their directory, which an older list may have filled). */
export function upstreamCrdFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  return (Object.keys(UPSTREAM_CRDS) as Array<keyof typeof UPSTREAM_CRDS>).flatMap((c) =>
    UPSTREAM_CRDS[c].files.map((f) => join(componentDir(c, env), 'crds', basename(f))),
  );
}

type Build = { component: SandboxComponent; outputs: string[]; run: (tmp: string) => Promise<void> };

function goEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // The builds must not depend on whatever toolchain line a dependency carries.
  return { ...env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
}

/** Where the Go module cache holds `module@version` (downloaded through the module proxy if missing). */
export async function moduleDir(module: string, version: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await execa('go', ['mod', 'download', '-json', `${module}@${version}`], { env: goEnv(env) });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

function crdBuild(component: keyof typeof UPSTREAM_CRDS, env: NodeJS.ProcessEnv): Build {
  const { module, files } = UPSTREAM_CRDS[component];
  const out = (dir: string, file: string) => join(dir, 'crds', basename(file));
  return {
    component,
    outputs: files.map((f) => out(componentDir(component, env), f)),
    run: async (tmp) => {
      const dir = await moduleDir(module, SANDBOX_VERSIONS[component], env);
      await mkdir(join(tmp, 'crds'), { recursive: true });
      for (const file of files) await copyFile(join(dir, file), out(tmp, file));
    },
  };
}

function builds(env: NodeJS.ProcessEnv): Build[] {
  const bin = sandboxBinaries(env);
  const go = (cwd: string | undefined, args: string[]) => execa('go', args, { cwd, env: goEnv(env), stdio: 'inherit' });
  // `go install module@version` into the scratch directory, stripped, with any version stamp given.
  const goInstall = (module: string, ldflags: string, tmp: string) =>
    execa('go', ['install', '-trimpath', '-ldflags', `-s -w ${ldflags}`.trim(), module], { env: { ...goEnv(env), GOBIN: tmp }, stdio: 'inherit' }).then(
      () => undefined,
    );
  const k8s = SANDBOX_VERSIONS.kubernetes;
  const [major, minor] = k8s.slice(1).split('.');
  const versionFlags = [
    `-X k8s.io/component-base/version.gitVersion=${k8s}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
  ].join(' ');
  return [
    {
      component: 'kubernetes',
      outputs: [bin.kubeApiserver, bin.kubeControllerManager, bin.kubeScheduler, bin.kubectl],
      run: (tmp) =>
        go(join(here, 'go', 'kubernetes'), [
          'build',
          '-trimpath',
          '-ldflags',
          `-s -w ${versionFlags}`,
          '-o',
          `${tmp}/`,
          'k8s.io/kubernetes/cmd/kube-apiserver',
          'k8s.io/kubernetes/cmd/kube-controller-manager',
          'k8s.io/kubernetes/cmd/kube-scheduler',
          'k8s.io/kubernetes/cmd/kubectl',
        ]).then(() => undefined),
    },
    {
      component: 'etcd',
      outputs: [bin.etcd],
      run: (tmp) =>
        go(join(here, 'go', 'etcd'), ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(tmp, 'etcd'), 'go.etcd.io/etcd/server/v3']).then(() => undefined),
    },
    {
      component: 'kwok',
      outputs: [bin.kwok, ...Object.keys(UPSTREAM_KWOK_STAGES).map((f) => join(kwokStagesDir(env), f))],
      run: async (tmp) => {
        await goInstall(`sigs.k8s.io/kwok/cmd/kwok@${SANDBOX_VERSIONS.kwok}`, '', tmp);
        const dir = await moduleDir('sigs.k8s.io/kwok', SANDBOX_VERSIONS.kwok, env);
        await mkdir(join(tmp, 'stages'), { recursive: true });
        for (const [name, path] of Object.entries(UPSTREAM_KWOK_STAGES)) {
          await copyFile(join(dir, path), join(tmp, 'stages', name));
        }
      },
    },
    {
      component: 'helm',
      outputs: [bin.helm],
      run: (tmp) => goInstall(`helm.sh/helm/v4/cmd/helm@${SANDBOX_VERSIONS.helm}`, `-X helm.sh/helm/v4/internal/version.version=${SANDBOX_VERSIONS.helm}`, tmp),
    },
    {
      component: 'stripeMock',
      outputs: [bin.stripeMock],
      run: (tmp) => goInstall(`github.com/stripe/stripe-mock@${SANDBOX_VERSIONS.stripeMock}`, '', tmp),
    },
    crdBuild('cnpg', env),
    crdBuild('barmanCloud', env),
    {
      component: 'versitygw',
      outputs: [bin.versitygw],
      run: (tmp) => goInstall(`github.com/versity/versitygw/cmd/versitygw@${SANDBOX_VERSIONS.versitygw}`, `-X main.Version=${SANDBOX_VERSIONS.versitygw}`, tmp),
    },
  ];
}

/** Of `wanted` (the core components unless told), those not yet in the cache. */
export function missingComponents(env: NodeJS.ProcessEnv = process.env, wanted: readonly SandboxComponent[] = CORE_COMPONENTS): SandboxComponent[] {
  return builds(env)
    .filter((b) => wanted.includes(b.component) && b.outputs.some((o) => !existsSync(o)))
    .map((b) => b.component);
}

/**
 * Builds what is missing of `wanted`. Callers hold the cache lock (see `ensureBinaries`); each
 * component is built into a scratch directory and renamed into place, so a killed build leaves no
 * half binary.
 */
export async function buildMissing(env: NodeJS.ProcessEnv = process.env, wanted: readonly SandboxComponent[] = CORE_COMPONENTS): Promise<void> {
  for (const build of builds(env)) {
    if (!wanted.includes(build.component) || build.outputs.every((o) => existsSync(o))) continue;
    const target = componentDir(build.component, env);
    const tmp = `${target}.partial-${process.pid}`;
    console.error(`sandbox: building ${build.component} ${SANDBOX_VERSIONS[build.component]} (cached in ${target})`);
    const started = Date.now();
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await build.run(tmp);
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
    console.error(`sandbox: built ${build.component} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

/**
 * Builds what is missing of the core components, plus any optional ones named in `extra` (such as
 * `versitygw` for a suite that needs the object store), under an exclusive `flock`, so two builds
 * never collide.
 */
export async function ensureBinaries(env: NodeJS.ProcessEnv = process.env, extra: readonly SandboxComponent[] = []): Promise<void> {
  const wanted = [...new Set([...CORE_COMPONENTS, ...extra])];
  if (missingComponents(env, wanted).length === 0) return;
  await mkdir(sandboxCacheRoot(env), { recursive: true });
  const lock = join(sandboxCacheRoot(env), '.build.lock');
  const withArgs = extra.flatMap((c) => ['--with', c]);
  // flock holds the lock for the child's lifetime; the child re-checks what is missing once it has it.
  await execa('flock', [lock, process.execPath, resolve(here, 'cli.ts'), 'build', '--locked', ...withArgs], { env, stdio: 'inherit' });
  const still = missingComponents(env, wanted);
  if (still.length > 0) throw new Error(`sandbox: build finished but ${still.join(', ')} still missing`);
}
