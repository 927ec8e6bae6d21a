import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ensureBinaries, upstreamCrdFiles } from './build.ts';
import { adminGet, adminKubeconfig } from './kubeconfig.ts';
import { startObjectStoreDaemon } from './object-store.ts';
import { createPki, pkiPaths } from './pki.ts';
import { freePort } from './ports.ts';
import { isRunning, logTail, startDaemon, stopDaemon, type Daemon } from './processes.ts';
import { PROFILES, kwokConfig, type ProfileName } from './stages.ts';
import { sandboxBinaries } from './versions.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Everything needed to find, use and stop a running sandbox; written to `<dir>/state.json`. */
export type SandboxState = {
  dir: string;
  profile: ProfileName;
  server: string;
  kubeconfig: string;
  nodes: number;
  daemons: Daemon[];
  startedAt: string;
  /** Present when `up --object-store` started versitygw: where it answers and the file with its keys. */
  objectStore?: { endpoint: string; bucket: string; credentialsFile: string };
};

export type UpOptions = { dir: string; profile?: ProfileName; nodes?: number; objectStore?: boolean; env?: NodeJS.ProcessEnv };

export function defaultSandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SANDBOX_DIR ?? join(here, '..', '..', '.sandbox'));
}

export async function readState(dir: string): Promise<SandboxState | undefined> {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as SandboxState;
}

async function writeState(state: SandboxState): Promise<void> {
  await writeFile(join(state.dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

async function waitFor(what: string, daemon: Daemon, deadlineMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (!isRunning(daemon)) throw new Error(`sandbox: ${daemon.name} exited while waiting for ${what}:\n${logTail(daemon)}`);
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`sandbox: ${what} not ready within ${deadlineMs / 1000} s:\n${logTail(daemon)}`);
}

function apiserverArgs(dir: string, port: number, etcdUrl: string): string[] {
  const pki = pkiPaths(join(dir, 'pki'));
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--api-audiences=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    '--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,DefaultStorageClass,PodSecurity',
    '--endpoint-reconciler-type=none',
    '--v=1',
  ];
}

async function startApiserver(dir: string, port: number, etcdUrl: string): Promise<Daemon> {
  const bin = sandboxBinaries();
  const daemon = startDaemon('kube-apiserver', bin.kubeApiserver, apiserverArgs(dir, port, etcdUrl), join(dir, 'logs'));
  const server = `https://127.0.0.1:${port}`;
  const pki = pkiPaths(join(dir, 'pki'));
  await waitFor('kube-apiserver /readyz', daemon, 60_000, async () => (await adminGet(server, pki, '/readyz')).status === 200);
  return daemon;
}

function kubectl(kubeconfig: string, args: string[]) {
  return execa(sandboxBinaries().kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
}

function nodeManifest(count: number): string {
  return Array.from(
    { length: count },
    (_, i) => `apiVersion: v1
kind: Node
metadata:
  name: kwok-node-${i}
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels: { kubernetes.io/hostname: kwok-node-${i}, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok }
`,
  ).join('---\n');
}

/**
 * Waits until every CRD is Established and the API server publishes its group-version's OpenAPI v3
 * document, which trails Established (the more so for CloudNativePG's large schemas): KWOK reads it
 * at start for each stage's resource and exits when one is missing. Polled rather than `kubectl wait`,
 * which errors on a CRD created a moment ago that has no conditions yet.
 */
async function waitForCrds(state: SandboxState, apiserver: Daemon): Promise<void> {
  type Crd = { spec: { group: string; versions: Array<{ name: string; served: boolean }> }; status?: { conditions?: Array<{ type: string; status: string }> } };
  const pki = pkiPaths(join(state.dir, 'pki'));
  await waitFor('CRDs Established and in OpenAPI v3', apiserver, 60_000, async () => {
    const { items } = JSON.parse((await kubectl(state.kubeconfig, ['get', 'crd', '-o', 'json'])).stdout) as { items: Crd[] };
    if (!items.every((c) => c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'))) return false;
    const published = Object.keys((JSON.parse((await adminGet(state.server, pki, '/openapi/v3')).body) as { paths: object }).paths);
    return items.every((c) => c.spec.versions.every((v) => !v.served || published.includes(`apis/${c.spec.group}/${v.name}`)));
  });
}

/** Brings the sandbox up in `dir` (reusing it when it is already healthy) and returns its state. */
export async function up(options: UpOptions): Promise<SandboxState> {
  const { dir, profile = 'fast', nodes = 2, objectStore = false, env = process.env } = options;
  const existing = await readState(dir);
  if (existing && (await health(existing)).healthy) return objectStore ? withObjectStore(existing, env) : existing;
  if (existing) await down(dir);

  await ensureBinaries(env, objectStore ? ['versitygw'] : []);
  const bin = sandboxBinaries(env);
  const logs = join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  await mkdir(join(dir, 'pki'), { recursive: true });
  const pki = await createPki(join(dir, 'pki'));
  const [etcdClient, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = (await Promise.all(Array.from({ length: 6 }, freePort))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daemons: Daemon[] = [];
  const state: SandboxState = {
    dir,
    profile,
    nodes,
    server: `https://127.0.0.1:${apiPort}`,
    kubeconfig: join(dir, 'kubeconfig'),
    daemons,
    startedAt: new Date().toISOString(),
  };
  try {
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcd = startDaemon(
      'etcd',
      bin.etcd,
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      logs,
    );
    daemons.push(etcd);
    await waitFor('etcd /health', etcd, 20_000, async () => (await fetch(`${etcdUrl}/health`)).ok);

    daemons.push(await startApiserver(dir, apiPort, etcdUrl));
    await writeFile(state.kubeconfig, await adminKubeconfig(state.server, pki), { mode: 0o600 });
    await writeState(state);

    const crds = [join(here, 'crds'), ...upstreamCrdFiles(env)];
    await kubectl(state.kubeconfig, ['apply', '--server-side', ...crds.flatMap((f) => ['-f', f])]);
    await waitForCrds(state, daemons.at(-1)!);
    await kubectl(state.kubeconfig, ['apply', '--server-side', '-f', join(here, 'platform.yaml')]);

    daemons.push(
      startDaemon(
        'kube-controller-manager',
        bin.kubeControllerManager,
        [
          `--kubeconfig=${state.kubeconfig}`,
          `--authentication-kubeconfig=${state.kubeconfig}`,
          `--authorization-kubeconfig=${state.kubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${kcmPort}`,
          '--leader-elect=false',
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pki.serviceAccountKey}`,
          `--root-ca-file=${pki.caCert}`,
          `--cluster-signing-cert-file=${pki.caCert}`,
          `--cluster-signing-key-file=${pki.caKey}`,
          '--controllers=*',
          '--v=1',
        ],
        logs,
      ),
    );
    daemons.push(
      startDaemon(
        'kube-scheduler',
        bin.kubeScheduler,
        [
          `--kubeconfig=${state.kubeconfig}`,
          `--authentication-kubeconfig=${state.kubeconfig}`,
          `--authorization-kubeconfig=${state.kubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${schedPort}`,
          '--leader-elect=false',
          '--v=1',
        ],
        logs,
      ),
    );
    const kwokConfigFile = join(dir, 'kwok.yaml');
    await writeFile(kwokConfigFile, await kwokConfig(PROFILES[profile], env));
    daemons.push(
      startDaemon(
        'kwok',
        bin.kwok,
        [
          `--kubeconfig=${state.kubeconfig}`,
          `--config=${kwokConfigFile}`,
          '--manage-all-nodes=false',
          '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
          '--node-lease-duration-seconds=40',
          `--server-address=127.0.0.1:${kwokPort}`,
          '--cidr=10.244.0.0/16',
          '--node-ip=10.0.0.1',
        ],
        logs,
      ),
    );
    await writeState(state);

    await execa(bin.kubectl, ['apply', '--server-side', '-f', '-'], {
      input: nodeManifest(nodes),
      env: { ...process.env, KUBECONFIG: state.kubeconfig },
    });
    const kwok = daemons.at(-1)!;
    await waitFor('KWOK nodes Ready', kwok, 30_000, async () => {
      const { stdout } = await kubectl(state.kubeconfig, ['get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}']);
      return stdout.split(' ').filter((s) => s === 'True').length === nodes;
    });
    // Pods cannot be created in a namespace until its default ServiceAccount exists.
    const controllerManager = daemons.find((d) => d.name === 'kube-controller-manager')!;
    await waitFor(
      'default ServiceAccount',
      controllerManager,
      30_000,
      async () => (await kubectl(state.kubeconfig, ['get', 'serviceaccount', 'default', '-n', 'default'])).exitCode === 0,
    );
    return objectStore ? await withObjectStore(state, env) : state;
  } catch (error) {
    await down(dir);
    throw error;
  }
}

/** Adds versitygw to a running sandbox (`up --object-store`), once; `down` stops it with the rest. */
async function withObjectStore(state: SandboxState, env: NodeJS.ProcessEnv): Promise<SandboxState> {
  if (state.objectStore) return state;
  await ensureBinaries(env, ['versitygw']);
  const { daemon, info, credentialsFile } = await startObjectStoreDaemon(state.dir);
  state.daemons.push(daemon);
  state.objectStore = { endpoint: info.endpoint, bucket: info.bucket, credentialsFile };
  await writeState(state);
  return state;
}

export type Health = { healthy: boolean; daemons: Record<string, boolean>; apiserver: boolean };

export async function health(state: SandboxState): Promise<Health> {
  const daemons = Object.fromEntries(state.daemons.map((d) => [d.name, isRunning(d)]));
  const pki = pkiPaths(join(state.dir, 'pki'));
  const apiserver = await adminGet(state.server, pki, '/readyz').then(
    (r) => r.status === 200,
    () => false,
  );
  const expected = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', ...(state.objectStore ? ['versitygw'] : [])];
  return { healthy: apiserver && expected.every((n) => daemons[n] === true), daemons, apiserver };
}

/** Stops every sandbox process and removes its state directory. */
export async function down(dir: string): Promise<void> {
  const state = await readState(dir);
  for (const daemon of [...(state?.daemons ?? [])].reverse()) await stopDaemon(daemon);
  await rm(dir, { recursive: true, force: true });
}

/** Restarts only the API server on the same port, keeping etcd and its data (for fault tests). */
export async function restartApiserver(dir: string): Promise<SandboxState> {
  const state = await readState(dir);
  if (!state) throw new Error(`sandbox: nothing running in ${dir}`);
  const index = state.daemons.findIndex((d) => d.name === 'kube-apiserver');
  const old = state.daemons[index]!;
  await stopDaemon(old, 10_000);
  const port = Number(new URL(state.server).port);
  const etcdUrl = old.args.find((a) => a.startsWith('--etcd-servers='))!.split('=')[1]!;
  state.daemons[index] = await startApiserver(dir, port, etcdUrl);
  await writeState(state);
  return state;
}
