// `npm run dev`: Redis (started when none answers), the sandbox cluster and `provisioner all` on
// http://127.0.0.1:3000, with a ready-to-use admin token. Ctrl-C stops the service and the Redis
// it started; the sandbox keeps running for the next start (`npm run sandbox -- down` stops it).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { defaultSandboxDir, up } from '../test/sandbox/cluster.ts';
import { sandboxBinaries } from '../test/sandbox/versions.ts';
import { startRedisServer, type RedisServer } from '../test/support/redis-server.ts';
import { mintDevToken } from './dev-token.ts';

const { values } = parseArgs({ options: { realistic: { type: 'boolean' } } });
const dir = defaultSandboxDir();
const port = Number(process.env.PORT ?? 3000);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

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
  if (process.env.AUTH_JWT_SECRET) return process.env.AUTH_JWT_SECRET;
  const file = join(dir, 'dev-jwt-secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

console.log('starting the sandbox cluster (reused when already running)…');
const state = await up({ dir, profile: values.realistic ? 'realistic' : 'fast' });
await mkdir(dir, { recursive: true });

let redis: RedisServer | undefined;
if (!(await redisAnswers(redisUrl))) {
  const url = new URL(redisUrl);
  await mkdir(join(dir, 'redis'), { recursive: true });
  redis = await startRedisServer({ port: Number(url.port || 6379), dir: join(dir, 'redis') });
  console.log(`started redis-server on ${redis.url} (append-only, noeviction)`);
}

const secret = await devSecret();
const service = execa(process.execPath, ['src/main.ts', 'all'], {
  stdio: 'inherit',
  env: {
    KUBECONFIG: state.kubeconfig, REDIS_URL: redisUrl, AUTH_JWT_SECRET: secret, HELM_BINARY: sandboxBinaries().helm,
    PORT: String(port), LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  },
  reject: false,
});

const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 300; i++) {
  const ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
  if (ready) break;
  if (service.exitCode !== null) process.exit(service.exitCode ?? 1);
  await sleep(100);
}
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

const stop = async () => {
  service.kill('SIGTERM');
  await service;
  await redis?.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
await service;
await redis?.stop();
