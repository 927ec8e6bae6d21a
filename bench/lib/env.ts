// The pieces every benchmark stands on: a sandbox cluster, a private redis-server, the service
// as real child processes (`node src/main.ts api|worker|all`), SSE and metrics readers, cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/config.schema.ts';
import { createKubernetes, type Kubernetes } from '../../src/kubernetes/kube-client.ts';
import { mintDevToken } from '../../scripts/dev-token.ts';
import { PROFILES, type ProfileName, type SandboxProfile } from '../../test/sandbox/stages.ts';
import { down, up } from '../../test/sandbox/cluster.ts';
import { freePort } from '../../test/sandbox/ports.ts';
import { sandboxBinaries } from '../../test/sandbox/versions.ts';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.ts';
import { chartNodeOptions } from './chart-node-options.ts';
import { REPO_DIR, log } from './report.ts';

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

/**
 * The sandbox readiness timings item 2 needs: the database, then the API, then the Web pods become
 * ready seconds after Helm creates them, so the worker is already waiting when each one flips.
 */
export const DELAYED_PROFILE: SandboxProfile = {
  // KWOK draws each delay uniformly between durationMilliseconds and jitterDurationMilliseconds.
  databaseReady: { durationMilliseconds: 2_000, jitterDurationMilliseconds: 3_000 },
  databaseHibernate: { durationMilliseconds: 500 },
  apiPodReady: { durationMilliseconds: 4_000, jitterDurationMilliseconds: 5_000 },
  podReady: { durationMilliseconds: 6_000, jitterDurationMilliseconds: 7_000 },
  certificateReady: { durationMilliseconds: 100 },
  backupStart: { durationMilliseconds: 0 },
  backupFinish: { durationMilliseconds: 200, jitterDurationMilliseconds: 500 },
};

export type Cluster = { kubeconfig: string; owned: boolean; profile: string; stop(): Promise<void> };

/**
 * A sandbox for the benchmarks. `fast` reuses BENCH_KUBECONFIG when set (e.g. the shared
 * `.sandbox/kubeconfig`), else a private sandbox in the temp directory, so 1,000 bench namespaces
 * never show up in another suite's tenant lists. `delayed` is always private (its own KWOK stages).
 */
export async function benchCluster(profile: 'fast' | 'delayed', options: { keep?: boolean } = {}): Promise<Cluster> {
  const shared = process.env.BENCH_KUBECONFIG;
  if (profile === 'fast' && shared) return { kubeconfig: shared, owned: false, profile: 'fast (shared)', stop: async () => undefined };
  const name = profile === 'fast' ? 'fast' : 'bench-delayed';
  if (profile === 'delayed') (PROFILES as Record<string, SandboxProfile>)[name] = DELAYED_PROFILE;
  // up() adopts a healthy sandbox already in its directory: a fixed one is shared only when it is
  // meant to be kept between runs; otherwise a benchmark running beside another (another person's)
  // would join that one's cluster, and whichever ends first would take it down under the other.
  const keep = options.keep || Boolean(process.env.BENCH_KEEP_SANDBOX);
  const dir = keep ? join(tmpdir(), `tp-bench-sandbox-${profile}`) : await mkdtemp(join(tmpdir(), `tp-bench-sandbox-${profile}-`));
  log(`sandbox (${profile}) in ${dir}: up`);
  const started = Date.now();
  const state = await up({ dir, profile: name as ProfileName, nodes: 2 });
  log(`sandbox (${profile}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    kubeconfig: state.kubeconfig,
    owned: true,
    profile,
    stop: async () => {
      if (keep) return;
      log(`sandbox (${profile}): down`);
      await down(dir);
    },
  };
}

export const binaries = () => sandboxBinaries();
export const kubeFor = (kubeconfig: string): Kubernetes => createKubernetes({ source: 'kubeconfig', kubeconfig });

export async function benchRedis(): Promise<RedisServer> {
  return startRedisServer();
}

/** A namespace/release prefix of the bench's own, so cleanup can find exactly what it made. */
export const benchPrefix = (tag: string) => `b${tag}${randomBytes(2).toString('hex')}-`;

export type ServiceOptions = {
  mode: 'api' | 'worker' | 'all';
  kubeconfig: string;
  redisUrl: string;
  queuePrefix: string;
  /** Merged over config/default.yaml through CONFIG_FILE. */
  config?: Record<string, unknown>;
  /** Raise the file descriptor limit to the hard limit (`sh -c 'ulimit -n <hard>; exec node …'`). */
  raiseOpenFiles?: boolean;
  jwtSecret?: string;
  logLevel?: string;
  /** Open the inspector on this loopback port (see inspector.ts: forced GC, memory readings). */
  inspectPort?: number;
  /** NODE_OPTIONS for the process; by default what the chart gives its mode (chart-node-options.ts). */
  nodeOptions?: string;
};

export type Service = {
  mode: string;
  pid: number;
  baseUrl: string;
  /** /metrics of this process (the health port for a worker). */
  metricsUrl: string;
  token: string;
  config: Config;
  env: Record<string, string>;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
};

/** A shell prefix that raises the soft file descriptor limit to the hard one, then execs "$0" "$@". */
export const RAISE_OPEN_FILES = 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"';

/** Bench-wide overrides: requests are not throttled by the per-subject limiter the bench would trip. */
export const BENCH_CONFIG_BASE = { http: { rateLimit: { windowSeconds: 60, maxRequests: 10_000_000 } } };

/** Starts `node src/main.ts <mode>` with the environment the README documents and waits until it answers. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-bench-svc-'));
  const configFile = join(dir, 'override.yaml');
  await writeFile(configFile, stringify(options.config ?? {}));
  const [port, healthPort] = [await freePort(), await freePort()];
  const secret = options.jwtSecret ?? randomBytes(32).toString('base64url');
  const env: Record<string, string> = {
    KUBECONFIG: options.kubeconfig,
    REDIS_URL: options.redisUrl,
    AUTH_JWT_SECRET: secret,
    HELM_BINARY: binaries().helm,
    PORT: String(port),
    HEALTH_PORT: String(healthPort),
    QUEUE_PREFIX: options.queuePrefix,
    LOG_LEVEL: options.logLevel ?? 'warn',
    CONFIG_FILE: configFile,
    // The bench sandbox's platform Secret holds keys for no object store: no backup preflight.
    BACKUP_PREFLIGHT: 'false',
  };
  const nodeOptions = options.nodeOptions ?? chartNodeOptions(options.mode);
  // Set even when empty: an inherited NODE_OPTIONS would otherwise reach the child.
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  const config = loadConfig({ env });
  const logFile = join(dir, `${options.mode}.log`);
  const out = createWriteStream(logFile);
  // BENCH_CPU_PROF_DIR: every service process writes a V8 CPU profile there when it exits (where an
  // item's time goes; `node bench/lib/profile-top.ts <file>` lists the heaviest functions).
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const inspect = options.inspectPort ? [`--inspect=127.0.0.1:${options.inspectPort}`] : [];
  const nodeArgs = [...inspect, ...profile, join(REPO_DIR, 'src/main.ts'), options.mode];
  const child = options.raiseOpenFiles
    ? spawn('sh', ['-c', RAISE_OPEN_FILES, process.execPath, ...nodeArgs], {
        cwd: REPO_DIR,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, nodeArgs, { cwd: REPO_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const baseUrl = `http://127.0.0.1:${port}`;
  const metricsUrl = options.mode === 'worker' ? `http://127.0.0.1:${healthPort}/metrics` : `${baseUrl}/metrics`;
  const probe = options.mode === 'worker' ? `http://127.0.0.1:${healthPort}/healthz` : `${baseUrl}/healthz`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service (${options.mode}) exited with ${child.exitCode}:\n${await readFile(logFile, 'utf8')}`);
    const ok = await fetch(probe).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`service (${options.mode}) did not answer ${probe} within 60 s`);
    await sleep(100);
  }
  const token = await mintDevToken(secret);
  return {
    mode: options.mode,
    pid: child.pid!,
    baseUrl,
    metricsUrl,
    token,
    config,
    env,
    logFile,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      // The log stays for a look after a failure; a clean run leaves nothing in the temp directory.
      if (child.exitCode === 0) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** RSS of a process in bytes, from /proc (0 when it is gone); `sh -c '…; exec node'` keeps the pid. */
export async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb * 1024;
  } catch {
    return 0;
  }
}

export type Sample = { labels: Record<string, string>; value: number };

/** Samples of one metric family from Prometheus exposition text. */
export function metricSamples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    out.push({ labels, value: Number(m[4]) });
  }
  return out;
}

export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  return response.text();
}

export type KubeCounts = Record<string, number>;
const KUBE_REQUESTS = 'tenant_provisioner_kubernetes_requests_total';

/** Our own Kubernetes API requests by "verb resource" (Helm's are not in this counter). */
export function kubeRequestCounts(text: string): KubeCounts {
  const counts: KubeCounts = {};
  for (const s of metricSamples(text, KUBE_REQUESTS)) {
    const key = `${s.labels.verb} ${s.labels.group ? `${s.labels.group}/` : ''}${s.labels.resource}`;
    counts[key] = (counts[key] ?? 0) + s.value;
  }
  return counts;
}

export function diffCounts(after: KubeCounts, before: KubeCounts): KubeCounts {
  const out: KubeCounts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

export const totalOf = (counts: KubeCounts) => Object.values(counts).reduce((a, b) => a + b, 0);

export type ReceivedEvent = { event: string; id?: string; data: unknown; at: number };

const sseAgent = new Agent({ keepAlive: true, maxSockets: Infinity });

/**
 * Follows `/api/jobs/{id}/events` with node:http, stamping each event with the time its bytes
 * arrived. Resolves after the terminal event (the server then closes the stream).
 */
export function followEvents(baseUrl: string, path: string, token: string, onEvent?: (e: ReceivedEvent) => void): Promise<ReceivedEvent[]> {
  return new Promise((resolve, reject) => {
    const events: ReceivedEvent[] = [];
    const req = httpRequest(`${baseUrl}${path}`, { agent: sseAgent, headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET ${path}: ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      let done = false;
      res.on('data', (chunk: string) => {
        const at = now();
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (!block.includes('data:')) continue;
          const field = (name: string) =>
            block
              .split('\n')
              .find((l) => l.startsWith(`${name}:`))
              ?.slice(name.length + 1)
              .trim();
          const event: ReceivedEvent = { event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null'), at };
          const id = field('id');
          if (id) event.id = id;
          events.push(event);
          onEvent?.(event);
          if (event.event === 'completed' || event.event === 'failed') {
            done = true;
            res.destroy();
            resolve(events);
          }
        }
      });
      res.on('end', () => (done ? undefined : resolve(events)));
      res.on('error', (e) => (done ? undefined : reject(e)));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function api<T = unknown>(service: Service, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${service.baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { Authorization: `Bearer ${service.token}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export type Accepted = { jobId: string; tenantId: string; namespace: string; links: { events: string; job: string; status: string } };

export function provisionBody(tenantId: string, tier = 'free') {
  return {
    tenantId,
    companyName: `Bench ${tenantId}`,
    ownerEmail: 'bench@example.com',
    ownerFirstName: 'Bench',
    ownerLastName: 'Mark',
    subscriptionTier: tier,
  };
}

/**
 * Deletes every namespace whose name starts with `prefix` and waits until they are gone (their
 * Helm release records, Deployments and the database go with them).
 */
export async function deleteNamespaces(kube: Kubernetes, prefix: string, timeoutMs = 300_000): Promise<number> {
  const names = (await kube.core.listNamespace()).items.map((n) => n.metadata!.name!).filter((n) => n.startsWith(prefix));
  const queue = [...names];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        await kube.core.deleteNamespace({ name }).catch(() => undefined);
      }
    }),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = (await kube.core.listNamespace()).items.filter((n) => n.metadata!.name!.startsWith(prefix)).length;
    if (left === 0) return names.length;
    if (Date.now() > deadline) throw new Error(`${left} namespaces with prefix ${prefix} still present after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/** Runs `work` over items with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Sum of Helm CLI seconds by command (`tenant_provisioner_helm_duration_seconds_sum`), in ms. */
export function helmMsByCommand(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of metricSamples(text, 'tenant_provisioner_helm_duration_seconds_sum')) {
    const command = s.labels.command ?? 'unknown';
    out[command] = (out[command] ?? 0) + s.value * 1000;
  }
  return out;
}
