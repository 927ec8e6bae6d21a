// `npm run dev`: Redis (started when none answers), the sandbox cluster and `provisioner all` on
// http://127.0.0.1:3000, with a ready-to-use admin token. Ctrl-C stops the service and the Redis
// it started; the sandbox keeps running for the next start (`npm run sandbox -- down` stops it).
// The Debian packages it needs are checked (and installed when possible) before anything starts;
// a start that fails stops whatever it had started and says why in one line.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { execa, type ResultPromise } from 'execa';
import { onShutdownSignal } from '../src/composition/shutdown-signals.ts';
import { defaultSandboxDir, down, health, readState, up } from '../test/sandbox/cluster.ts';
import { sandboxBinaries } from '../test/sandbox/versions.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { mintDevToken } from './dev-token.ts';
import { MissingSystemPackages, SYSTEM_PACKAGES, ensureSystemPackages, nodeHost } from './system-packages.ts';

const { values } = parseArgs({ options: { realistic: { type: 'boolean' } } });
const env = process.env;
const dir = defaultSandboxDir(env);
const port = Number(env.PORT ?? 3000);
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const READY_WITHIN_MS = 60_000;

async function redisAnswers(url: string): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function devSecret(): Promise<string> {
  if (env.AUTH_JWT_SECRET) return env.AUTH_JWT_SECRET;
  const file = join(dir, 'dev-jwt-secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** What this start has started, newest last; a failed start stops them in reverse. */
type Started = { what: string; stop: () => Promise<void> };

async function stopAll(started: Started[]): Promise<void> {
  for (const { what, stop } of started.splice(0).reverse()) {
    await stop().catch((error: unknown) => console.error(`npm run dev: could not stop ${what}: ${String(error)}`));
  }
}

/** One line for the terminal; a longer error (a sandbox log tail) goes to a file the line names. */
async function oneLine(error: unknown): Promise<string> {
  const text = error instanceof Error ? error.message : String(error);
  const [first = 'failed', ...rest] = text.trim().split('\n');
  if (rest.length === 0) return first;
  const file = join(tmpdir(), `tenant-provisioner-dev-${process.pid}.log`);
  await writeFile(file, `${text}\n${error instanceof Error ? (error.stack ?? '') : ''}\n`);
  return `${first} (details in ${file})`;
}

function stopService(service: ResultPromise): () => Promise<void> {
  return async () => {
    service.kill('SIGTERM');
    await service;
  };
}

type Running = { service: ResultPromise; secret: string };

/** Brings up the sandbox, Redis (unless one answers) and the service, recording each in `started`. */
async function start(started: Started[], needRedis: boolean, step: <T>(run: () => Promise<T>) => Promise<T>): Promise<Running> {
  console.log('starting the sandbox cluster (reused when already running)…');
  const existing = await readState(dir);
  const wasRunning = existing !== undefined && (await health(existing)).healthy;
  // A sandbox that was already up belongs to whoever started it; only one started here is stopped.
  if (!wasRunning) started.push({ what: 'the sandbox', stop: () => down(dir) });
  const state = await step(() => up({ dir, profile: values.realistic ? 'realistic' : 'fast' }));
  await mkdir(dir, { recursive: true });

  if (needRedis) {
    const url = new URL(redisUrl);
    await mkdir(join(dir, 'redis'), { recursive: true });
    const redis = await step(() => startRedisServer({ port: Number(url.port || 6379), dir: join(dir, 'redis'), ownProcessGroup: true }));
    started.push({ what: 'redis-server', stop: redis.stop });
    console.log(`started redis-server on ${redis.url} (append-only, noeviction)`);
  }

  const secret = await devSecret();
  const service = execa(process.execPath, ['src/main.ts', 'all'], {
    stdio: 'inherit',
    env: {
      KUBECONFIG: state.kubeconfig,
      REDIS_URL: redisUrl,
      AUTH_JWT_SECRET: secret,
      HELM_BINARY: sandboxBinaries(env).helm,
      PORT: String(port),
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
      // The dev server speaks plain HTTP: a Secure session cookie would never be sent back.
      ADMIN_INSECURE_COOKIES: 'true',
      // The sandbox's platform Secret holds keys for no object store: a backup tier would fail its preflight.
      BACKUP_PREFLIGHT: env.BACKUP_PREFLIGHT ?? 'false',
    },
    reject: false,
  });
  started.push({ what: 'the service', stop: stopService(service) });
  const deadline = Date.now() + READY_WITHIN_MS;
  while (
    !(await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (service.exitCode !== null) throw new Error(`the service exited with code ${service.exitCode} before it was ready`);
    if (Date.now() > deadline) throw new Error(`the service was not ready within ${READY_WITHIN_MS / 1000} s`);
    await step(() => sleep(100));
  }
  return { service, secret };
}

async function main(): Promise<number> {
  const needRedis = !(await redisAnswers(redisUrl));
  const { openssl, flock, redisServer } = SYSTEM_PACKAGES;
  // Before anything starts: a missing package then costs nothing to undo.
  await ensureSystemPackages([openssl, flock, ...(needRedis ? [redisServer] : [])], 'npm run dev', nodeHost(env));

  const started: Started[] = [];
  // A Ctrl-C during the start is honoured between steps, so that it too stops what was started.
  let interrupted: NodeJS.Signals | undefined;
  const interrupt = (signal: NodeJS.Signals) => (interrupted = signal);
  process.on('SIGINT', interrupt).on('SIGTERM', interrupt);
  const step = async <T>(run: () => Promise<T>): Promise<T> => {
    if (interrupted) throw new Error(`interrupted (${interrupted})`);
    const value = await run();
    if (interrupted) throw new Error(`interrupted (${interrupted})`);
    return value;
  };
  let running: Running;
  try {
    running = await start(started, needRedis, step);
  } catch (error) {
    const reason = await oneLine(error);
    await stopAll(started);
    console.error(`npm run dev: ${reason}`);
    return 1;
  } finally {
    process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
  }
  if (interrupted) {
    await stopAll(started);
    console.error(`npm run dev: interrupted (${interrupted})`);
    return 1;
  }
  const { service, secret } = running;
  // From here the sandbox stays up for the next start; Ctrl-C stops the service and our Redis.
  const keep = started.filter((s) => s.what !== 'the sandbox');
  const stop = async () => {
    await stopAll(keep);
    process.exit(0);
  };
  // A `once` listener would let execa's child cleanup re-raise the signal before stop() ran.
  onShutdownSignal(
    () => void stop(),
    () => process.exit(1),
  );

  const base = `http://127.0.0.1:${port}`;
  const token = await mintDevToken(secret);
  console.log(`
tenant-provisioner is running
  API          ${base}/api
  Docs         ${base}/docs   (OpenAPI: ${base}/openapi.json)
  Admin page   ${base}/admin
  Bull Board   ${base}/admin/queues
  Health       ${base}/healthz  ${base}/readyz
  Cluster      eval "$(npm run -s sandbox -- env)"   (kubectl and helm against the sandbox)

Admin token (superadmin, 12 h):
  export TOKEN=${token}

Try:
  curl -s -X POST ${base}/api/provisioning/provision -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
    -d '{"companyName":"Acme Auto Repair","ownerEmail":"owner@acme.example","ownerFirstName":"Ada","ownerLastName":"Lovelace","subscriptionTier":"demo"}'
`);

  const result = await service;
  await stopAll(keep);
  return result.exitCode ?? 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof MissingSystemPackages ? error.message : `npm run dev: ${String(error)}`);
    process.exit(1);
  },
);
