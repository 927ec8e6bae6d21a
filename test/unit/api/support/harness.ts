import { createApp } from '../../../../src/api/app.ts';
import { createJwtVerifier } from '../../../../src/api/auth/jwt-verifier.ts';
import type { ProblemDocument } from '../../../../src/api/errors/problem.schema.ts';
import { buildApiServices, type ApiAdapters } from '../../../../src/composition/api-services.ts';
import type { Config } from '../../../../src/config/config.schema.ts';
import { createLogger } from '../../../../src/observability/logger.ts';
import { testConfig } from './config.ts';
import { FakeClaims, FakeHelm, FakeRegistry, fakeKube, fakeWorkloads } from './fake-cluster.ts';
import { fakeJobEvents } from './fake-events.ts';
import { FakeQueue } from './fake-queue.ts';
import { FakeRollouts } from './fake-rollouts.ts';
import { FakeRedis } from './fake-redis.ts';
import { mintToken } from './tokens.ts';

export const NOW = new Date('2026-03-01T12:00:00.000Z');

export const validProvision = {
  companyName: 'Acme Auto Repair',
  ownerEmail: 'owner@acme.test',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'professional',
} as const;

export type CallInit = { method?: string; body?: unknown; rawBody?: RequestInit['body']; headers?: Record<string, string>; token?: string | null };

/**
 * The whole app over in-memory fakes of its adapters, with a valid superadmin token. The services are
 * built by the composition root's own `buildApiServices`, so the graph under test is the one that runs.
 */
export async function testApp(options: { config?: (config: Config) => void; deps?: Partial<ApiAdapters> & { shutdown?: AbortSignal } } = {}) {
  const config = testConfig(options.config);
  const registry = new FakeRegistry(config.platform.namespacePrefix);
  const queue = new FakeQueue();
  const redis = new FakeRedis();
  redis.now = () => NOW.getTime();
  const events = fakeJobEvents();
  const helm = new FakeHelm();
  const cluster = fakeWorkloads();
  const kube = fakeKube();
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', pretty: false, destination: { write: (line: string) => void logLines.push(line) } });
  const { shutdown, ...adapters } = options.deps ?? {};
  const claims = new FakeClaims();
  const rollouts = new FakeRollouts();
  const services = buildApiServices({
    config,
    logger,
    registry,
    claims,
    rollouts,
    workloads: cluster.workloads,
    helm,
    kube: kube.kube,
    queue,
    producer: queue,
    history: events.history,
    hub: events.hub,
    redis: redis.asCommands(),
    randomHex: () => 'abc123',
    now: () => NOW,
    ...adapters,
  });
  const app = createApp({ config, logger, verifier: createJwtVerifier(config.auth), services, shutdown });
  const token = await mintToken();

  const call = (path: string, init: CallInit = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const bearer = init.token === undefined ? token : init.token;
    if (bearer !== null) headers['Authorization'] = `Bearer ${bearer}`;
    let body: RequestInit['body'] | undefined = init.rawBody;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['Content-Type'] ??= 'application/json';
    }
    return app.request(path, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body === undefined ? {} : { body }) });
  };

  return { app, call, config, registry, claims, rollouts, queue, redis, events, helm, cluster, kube, logLines, token };
}
export type TestApp = Awaited<ReturnType<typeof testApp>>;

export async function problemOf(res: Response, status: number): Promise<ProblemDocument> {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${await res.text()}`);
  if (res.headers.get('content-type') !== 'application/problem+json') throw new Error(`not a problem: ${res.headers.get('content-type')}`);
  return (await res.json()) as ProblemDocument;
}
