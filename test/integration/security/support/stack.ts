import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApi } from '../../../../src/composition/api-process.ts';
import { Releasers } from '../../../../src/composition/releasers.ts';
import { createSharedServices } from '../../../../src/composition/shared-services.ts';
import { startWorkers } from '../../../../src/composition/worker-process.ts';
import type { Config } from '../../../../src/config/config.schema.ts';
import { loadConfig } from '../../../../src/config/load-config.ts';
import { createLogger } from '../../../../src/observability/logger.ts';
import { sandboxBinaries } from '../../../sandbox/versions.ts';
import { writeConfigOverride } from '../../../support/config-override.ts';
import { TEST_JWT_SECRET } from '../../../support/service-deps.ts';

export type StackOptions = {
  kubeconfig: string;
  redisUrl: string;
  /** Environment variables on top of the test's (AUTH_JWKS_URL, HELM_BINARY, TENANT_ACCESS_*, ...). */
  env?: Record<string, string>;
  /** A configuration override file's tree (CONFIG_FILE). */
  override?: Record<string, unknown>;
  api?: boolean;
  worker?: boolean;
};

/**
 * The service as `provisioner all` composes it (src/composition: shared services, the API process
 * with /admin, Bull Board, the webhook and /metrics, the workers and sweepers), on the sandbox and
 * this run's Redis under a queue prefix of its own, listening on a free loopback port. Every log
 * line of API and workers, at debug level, goes to `logs`.
 */
export async function startStack(o: StackOptions) {
  const env: Record<string, string> = {
    KUBECONFIG: o.kubeconfig,
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: `s${randomBytes(4).toString('hex')}`,
    HOST: '127.0.0.1',
    PORT: '0',
    HEALTH_PORT: '0',
    HELM_BINARY: sandboxBinaries().helm,
    // The composition's own root logger stays quiet; the one handed to API and workers is captured.
    LOG_LEVEL: 'silent',
    // As in testConfig: the sandbox's platform Secret holds keys for no object store.
    BACKUP_PREFLIGHT: 'false',
    ...(o.env?.['AUTH_JWKS_URL'] ? {} : { AUTH_JWT_SECRET: TEST_JWT_SECRET }),
    ...(o.override ? { CONFIG_FILE: writeConfigOverride(o.override) } : {}),
    ...o.env,
  };
  const config: Config = loadConfig({ env });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void logs.push(line) } });
  const releasers = new Releasers();
  const shared = { ...createSharedServices(config, process.env, releasers), logger };
  if (o.worker) startWorkers(shared, releasers, process.env);
  const api = o.api ? await startApi(shared, releasers) : undefined;
  const baseUrl = api ? await listeningUrl(logs) : '';

  return {
    config,
    shared,
    logs,
    baseUrl,
    app: api?.app,
    queue: api?.queue,
    /** Parsed log lines (pino JSON). */
    entries: () => logs.map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      await releasers.releaseAll(() => undefined);
    },
  };
}
export type Stack = Awaited<ReturnType<typeof startStack>>;

async function listeningUrl(logs: string[]): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    for (const line of logs) {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'api listening' && entry.url) return entry.url;
    }
    await sleep(20);
  }
  throw new Error('the API did not log "api listening"');
}
