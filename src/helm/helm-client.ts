import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { HelmError } from './helm-error.ts';
import { sharedCall } from './shared-call.ts';

export type HelmReleaseStatus =
  | 'unknown'
  | 'deployed'
  | 'uninstalled'
  | 'superseded'
  | 'failed'
  | 'uninstalling'
  | 'pending-install'
  | 'pending-upgrade'
  | 'pending-rollback';

export type HelmRelease = {
  name: string;
  namespace: string;
  revision: number;
  status: HelmReleaseStatus;
  description: string;
  /** The chart the revision was made from, as Helm records it (absent from history entries and fakes that omit it). */
  chart?: { name: string; version: string; appVersion: string | undefined };
};

export type ChartRef = { path: string; version?: string | undefined };
export type InstallRequest = { release: string; namespace: string; chart: ChartRef; values: string; signal?: AbortSignal };

/** The Helm operations the worker needs; a small interface so unit tests can use a fake. */
export interface HelmClient {
  /** `helm upgrade --install` without `--wait`: readiness is observed by the worker, per component. */
  upgradeInstall(request: InstallRequest): Promise<HelmRelease>;
  /** Renders the release as the server would install it, without changing anything (preflight). */
  template(request: InstallRequest): Promise<string>;
  /** The release's current state, or undefined when there is no such release. */
  status(release: string, namespace: string, signal?: AbortSignal): Promise<HelmRelease | undefined>;
  history(release: string, namespace: string, signal?: AbortSignal): Promise<HelmRelease[]>;
  /** `helm get manifest`: what the current revision applied, or undefined when there is no such release. */
  manifest(release: string, namespace: string, signal?: AbortSignal): Promise<string | undefined>;
  rollback(release: string, namespace: string, revision: number, signal?: AbortSignal): Promise<void>;
  /** Idempotent: a release that does not exist is already uninstalled. */
  uninstall(release: string, namespace: string, signal?: AbortSignal): Promise<void>;
  /** `helm version --short`, asked once per process; `signal` gives up this caller's wait (see sharedCall). */
  version(signal?: AbortSignal): Promise<string>;
  /**
   * The same client, whose Helm children are SIGKILLed the moment `kill` aborts, with no grace: for
   * a job whose tenant lease is lost, when another holder may run Helm on the tenant next. Absent
   * from fakes that start no process.
   */
  withKillSwitch?(kill: AbortSignal): HelmClient;
  /**
   * The same client, whose Helm children reach the API server as `connection` says on every call
   * (`version` aside: it asks no server): a job's API fence. Absent from fakes that start no process.
   */
  withConnection?(connection: HelmConnection): HelmClient;
}

/** How Helm children reach the API server: global flags (`--kube-apiserver`, …) and environment variables added to Helm's own. */
export type HelmConnection = { flags: readonly string[]; env: Readonly<Record<string, string>> };
const DIRECT: HelmConnection = { flags: [], env: {} };

export type HelmClientOptions = {
  binary: string;
  /** Absent in-cluster: Helm then uses the pod's service account like any client-go program. */
  kubeconfig?: string | undefined;
  /** Helm rolls back on its own when killed; SIGKILL only after this grace (execa's 5 s default is too short). */
  killGraceMs?: number;
  /** Observes each invocation (metrics, tests recording argv). */
  onInvoke?: (command: string, outcome: 'ok' | 'error', durationMs: number) => void;
  /** The process environment; Helm receives only the allowlisted part of it (helmEnvironment). */
  env: NodeJS.ProcessEnv;
};

type RawRelease = {
  name: string;
  namespace: string;
  version: number;
  info: { status: HelmReleaseStatus; description?: string };
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } };
};
type RawHistory = { revision: number; status: HelmReleaseStatus; description?: string };

const toRelease = (raw: RawRelease): HelmRelease => ({
  name: raw.name,
  namespace: raw.namespace,
  revision: raw.version,
  status: raw.info.status,
  description: raw.info.description ?? '',
  ...(raw.chart?.metadata?.name && raw.chart.metadata.version
    ? { chart: { name: raw.chart.metadata.name, version: raw.chart.metadata.version, appVersion: raw.chart.metadata.appVersion } }
    : {}),
});

export function createHelmClient(options: HelmClientOptions): HelmClient {
  const killGraceMs = options.killGraceMs ?? 60_000;
  const env: NodeJS.ProcessEnv = { ...helmEnvironment(options.env), ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}) };

  // Argument arrays only, never a shell; values travel in a file, never on the command line.
  // `signal` winds Helm down (SIGTERM, SIGKILL after the grace); `killSwitch` kills it at once.
  async function run(command: string, args: string[], signal?: AbortSignal, killSwitch?: AbortSignal, connection = DIRECT): Promise<string> {
    const started = performance.now();
    const child = execa(options.binary, [...args, ...connection.flags], {
      env: { ...env, ...connection.env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      cancelSignal: signal,
      killSignal: 'SIGTERM',
      forceKillAfterDelay: killGraceMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    const killNow = () => child.kill('SIGKILL');
    if (killSwitch?.aborted) killNow();
    killSwitch?.addEventListener('abort', killNow, { once: true });
    const result = await child.finally(() => killSwitch?.removeEventListener('abort', killNow));
    const ok = result.exitCode === 0 && !result.isCanceled;
    options.onInvoke?.(command, ok ? 'ok' : 'error', performance.now() - started);
    if (!ok) throw new HelmError(command, result.exitCode, String(result.stderr), result.isCanceled);
    return String(result.stdout);
  }

  async function withValuesFile<T>(values: string, use: (file: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'tp-helm-'));
    try {
      const file = join(dir, 'values.yaml');
      await writeFile(file, values, { mode: 0o600 });
      return await use(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const chartArgs = (chart: ChartRef) => (chart.version ? [chart.path, '--version', chart.version] : [chart.path]);
  // Helm 4 applies server-side: a field someone changed by hand (kubectl scale) would otherwise make
  // every upgrade and rollback fail with a conflict. The release is the tenant's desired state, so it wins.
  const forceConflicts = '--force-conflicts';
  const notFound = (error: unknown) => error instanceof HelmError && /release: not found|not found/i.test(error.stderr);

  // The binary does not change under a running process: ask once (each Helm start costs ~100 ms).
  // A caller that gives up (an API deadline) must neither kill the run others wait for nor leave a
  // cancelled answer cached: sharedCall aborts the child only when every waiter has given up.
  const version = sharedCall(async (signal) => (await run('version', ['version', '--short'], signal)).trim());

  const client = (killSwitch?: AbortSignal, connection = DIRECT): HelmClient => ({
    upgradeInstall: (req) =>
      withValuesFile(req.values, async (file) =>
        toRelease(
          JSON.parse(
            await run(
              'upgrade',
              [
                'upgrade',
                '--install',
                req.release,
                ...chartArgs(req.chart),
                '--namespace',
                req.namespace,
                '--values',
                file,
                '--history-max',
                '10',
                forceConflicts,
                '--output',
                'json',
              ],
              req.signal,
              killSwitch,
              connection,
            ),
          ) as RawRelease,
        ),
      ),
    template: (req) =>
      withValuesFile(req.values, (file) =>
        run(
          'template',
          ['template', req.release, ...chartArgs(req.chart), '--namespace', req.namespace, '--values', file, '--validate'],
          req.signal,
          killSwitch,
          connection,
        ),
      ),
    status: async (release, namespace, signal) => {
      try {
        return toRelease(
          JSON.parse(await run('status', ['status', release, '--namespace', namespace, '--output', 'json'], signal, killSwitch, connection)) as RawRelease,
        );
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    manifest: async (release, namespace, signal) => {
      try {
        return await run('get manifest', ['get', 'manifest', release, '--namespace', namespace], signal, killSwitch, connection);
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    history: async (release, namespace, signal) => {
      try {
        const raw = JSON.parse(
          await run('history', ['history', release, '--namespace', namespace, '--output', 'json', '--max', '20'], signal, killSwitch, connection),
        ) as RawHistory[];
        return raw.map((h) => ({ name: release, namespace, revision: h.revision, status: h.status, description: h.description ?? '' }));
      } catch (error) {
        if (notFound(error)) return [];
        throw error;
      }
    },
    rollback: async (release, namespace, revision, signal) => {
      await run('rollback', ['rollback', release, String(revision), '--namespace', namespace, forceConflicts], signal, killSwitch, connection);
    },
    uninstall: async (release, namespace, signal) => {
      try {
        await run('uninstall', ['uninstall', release, '--namespace', namespace], signal, killSwitch, connection);
      } catch (error) {
        if (!notFound(error)) throw error;
      }
    },
    // Read-only and shared by every job of the process: it needs no kill switch.
    version,
    withKillSwitch: (kill) => client(killSwitch ? AbortSignal.any([killSwitch, kill]) : kill, connection),
    withConnection: (next) => client(killSwitch, next),
  });
  return client();
}

// Helm gets only what it needs from the environment: never the service's own secrets
// (AUTH_JWT_SECRET, REDIS_URL, Stripe keys) that a chart hook or plugin could read.
const HELM_ENV =
  /^(PATH|HOME|TMPDIR|LANG|LC_[A-Z]+|HELM_[A-Z_]+|XDG_[A-Z_]+|KUBERNETES_SERVICE_(HOST|PORT)|(HTTPS?|NO)_PROXY|(https?|no)_proxy|SSL_CERT_(FILE|DIR))$/;

export function helmEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => HELM_ENV.test(key)));
}
