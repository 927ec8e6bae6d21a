// Item 4: SSE fan-out. 10,000 subscribers on one API process (`node src/main.ts api`), held by two
// client processes, events appended to the jobs' durable history (XADD + PUBLISH, as the worker
// does). Baseline: a bare node:http fan-out server on the same Redis channel with the same clients.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { OPERATIONS_QUEUE } from '../../src/jobs/job-catalog.ts';
import { createJobHistory } from '../../src/jobs/job-history.ts';
import { inspectorSession } from '../lib/inspector.ts';
import { BENCH_CONFIG_BASE, RAISE_OPEN_FILES, benchRedis, metricSamples, now, rssOf, scrape, startService } from '../lib/env.ts';
import { freePort } from '../../test/sandbox/ports.ts';
import { BENCH_DIR, REPO_DIR, cpuMeter, log, machine, median, round, summary, writeResult, type BenchResult } from '../lib/report.ts';

type Server = {
  name: string;
  baseUrl: string;
  token: string;
  pid: number;
  subscribers(): Promise<number>;
  stop(): Promise<void>;
  /** JS heap in use, where the server reports it (the service's /metrics). */
  heapUsed?: () => Promise<number>;
  /** Prometheus metrics of the server, if it has them (GC pauses by kind during the phases). */
  metricsUrl?: string;
  /** The server's inspector port: a forced full GC separates retained memory from garbage. */
  inspectPort: number;
};
type Stats = { latencies: number[]; received: number; open: number; errors: number; statusErrors: number };
type ClientProc = { child: ChildProcess; request<T>(message: object, reply: string): Promise<T> };

/** A kubeconfig that names no reachable cluster: the SSE path never calls Kubernetes. */
async function placeholderKubeconfig(): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'tp-bench-kc-')), 'kubeconfig');
  await writeFile(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: none',
      'clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]',
      'users: [{name: none, user: {token: none}}]',
      'contexts: [{name: none, context: {cluster: none, user: none}}]',
      '',
    ].join('\n'),
  );
  return file;
}

async function startClient(): Promise<ClientProc> {
  const child = fork(join(BENCH_DIR, 'clients', 'sse-clients.ts'), [], { execPath: process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  return {
    child,
    request: <T>(message: object, reply: string) =>
      new Promise<T>((resolve) => {
        const on = (m: { type: string }) => {
          if (m.type !== reply) return;
          child.off('message', on);
          resolve(m as T);
        };
        child.on('message', on);
        child.send(message);
      }),
  };
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = now();
  for (;;) {
    if (await probe().catch(() => false)) return now() - started;
    if (now() - started > timeoutMs) throw new Error(`${what} not reached within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

async function steadyRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    samples.push(await rssOf(pid));
    await sleep(300);
  }
  return median(samples);
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = (await redis.info('stats')) as string;
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

async function clientCount(redis: Redis): Promise<{ total: number; byName: Record<string, number> }> {
  const list = (await redis.call('CLIENT', 'LIST')) as string;
  const lines = list.trim().split('\n').filter(Boolean);
  const byName: Record<string, number> = {};
  for (const line of lines) {
    const name = /\bname=(\S*)/.exec(line)?.[1] || /\blib-name=(\S*)/.exec(line)?.[1] || 'unnamed';
    byName[name] = (byName[name] ?? 0) + 1;
  }
  return { total: lines.length, byName };
}

async function measure(
  server: Server,
  options: { subscribers: number; jobIds: string[]; redis: Redis; prefix: string; eventsPerSecond: number; steadySeconds: number; bursts: number },
) {
  const { subscribers, jobIds, redis } = options;
  const history = createJobHistory(redis, { prefix: options.prefix });
  const paths = jobIds.map((id) => `/api/jobs/${id}/events`);
  const connect = { cmd: 'connect', baseUrl: server.baseUrl, token: server.token, paths, perSecond: 1000 };

  // Warm-up: a throwaway client connects 200 and is killed, so lazy initialisation is not counted as per-subscriber memory.
  const warm = await startClient();
  await warm.request({ ...connect, count: 200 }, 'connected');
  warm.child.kill('SIGKILL');
  await waitFor(`${server.name}: warm-up subscribers gone`, async () => (await server.subscribers()) === 0, 30_000);
  await sleep(1_000);
  // A session is opened only for each forced collection, so no inspector is attached during the phases.
  const fullGc = async () => {
    const inspector = await inspectorSession(server.inspectPort);
    try {
      return await inspector.collectAndMeasure();
    } finally {
      inspector.close();
    }
  };
  // Collected first, so the RSS baseline is not lowered afterwards by a collection the connected reading never had.
  const gcBefore = await fullGc();
  const rssBefore = await steadyRss(server.pid);
  const heapBefore = await server.heapUsed?.();

  const clients = [await startClient(), await startClient()];
  await clients[0]!.request({ ...connect, count: 1 }, 'connected');
  await waitFor(`${server.name}: 1 subscriber`, async () => (await server.subscribers()) === 1, 10_000);
  const redisAtOne = await clientCount(redis);

  const connectStarted = now();
  const half = Math.floor(subscribers / 2);
  // Client 0 continues the round-robin where its first subscription left off (job 1 onwards).
  const replies = await Promise.all([
    clients[0]!.request<{ ok: number }>({ ...connect, paths: [...paths.slice(1), paths[0]!], count: half - 1 }, 'connected'),
    clients[1]!.request<{ ok: number }>(
      { ...connect, paths: [...paths.slice(half % paths.length), ...paths.slice(0, half % paths.length)], count: subscribers - half },
      'connected',
    ),
  ]);
  const connected = 1 + replies.reduce((a, r) => a + r.ok, 0);
  await waitFor(`${server.name}: ${subscribers} subscribers`, async () => (await server.subscribers()) >= connected, 60_000);
  const connectSeconds = (now() - connectStarted) / 1000;
  await sleep(3_000);
  const rssConnected = await steadyRss(server.pid);
  const heapConnected = await server.heapUsed?.();
  const redisAtN = await clientCount(redis);
  // One heartbeat period with every subscriber connected and no events: what idle subscribers cost Redis.
  const commandsBefore = await commandsProcessed(redis);
  const idleStarted = now();
  await sleep(15_500);
  const idleCommandsPerSecond = ((await commandsProcessed(redis)) - commandsBefore) / ((now() - idleStarted) / 1000);
  log(
    `${server.name}: ${connected} subscribers in ${round(connectSeconds)} s; RSS ${round(rssBefore / 2 ** 20)} → ${round(rssConnected / 2 ** 20)} MiB; Redis clients ${redisAtOne.total} at 1, ${redisAtN.total} at ${connected}`,
  );

  const perJob = subscribers / jobIds.length;
  const event = (jobId: string) =>
    history.append(jobId, {
      type: 'progress',
      data: { step: 'bench', stepIndex: 0, totalSteps: 1, percent: 0, message: `bench:${now()}` },
    });
  const collect = async () => {
    await sleep(2_000);
    const stats = await Promise.all(clients.map((c) => c.request<Stats>({ cmd: 'stats' }, 'stats')));
    return { latencies: stats.flatMap((s) => s.latencies), received: stats.reduce((a, s) => a + s.received, 0) };
  };

  const gcStats = async () => {
    if (!server.metricsUrl) return undefined;
    const text = await scrape(server.metricsUrl);
    const out: Record<string, { count: number; seconds: number }> = {};
    for (const x of metricSamples(text, 'nodejs_gc_duration_seconds_count')) out[x.labels.kind ?? '?'] = { count: x.value, seconds: 0 };
    for (const x of metricSamples(text, 'nodejs_gc_duration_seconds_sum')) (out[x.labels.kind ?? '?'] ??= { count: 0, seconds: 0 }).seconds = x.value;
    return out;
  };
  const gcDelta = (a?: Record<string, { count: number; seconds: number }>, b?: Record<string, { count: number; seconds: number }>) =>
    a && b
      ? Object.fromEntries(
          Object.keys(b).map((k) => [k, { count: b[k]!.count - (a[k]?.count ?? 0), ms: round((b[k]!.seconds - (a[k]?.seconds ?? 0)) * 1000) }]),
        )
      : null;
  const gc0 = await gcStats();
  // Steady: events round-robin over the jobs at a fixed rate.
  const total = options.eventsPerSecond * options.steadySeconds;
  const t0 = now();
  for (let i = 0; i < total; i += 1) {
    const due = t0 + (i * 1000) / options.eventsPerSecond;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    void event(jobIds[i % jobIds.length]!);
  }
  const steady = await collect();
  const gc1 = await gcStats();
  // Bursts: one event to every job at once, i.e. one frame to every subscriber.
  for (let b = 0; b < options.bursts; b += 1) {
    await Promise.all(jobIds.map((id) => event(id)));
    await sleep(1_500);
  }
  const burst = await collect();
  const gc2 = await gcStats();
  // Forced GC only now: a long pause before the phases would bunch the subscribers' heartbeat timers.
  const gcConnected = await fullGc();
  const expectedSteady = total * perJob;
  const expectedBurst = options.bursts * subscribers;
  log(
    `${server.name}: steady p99 ${round(summary(steady.latencies).p99)} ms (${steady.received}/${expectedSteady}); burst p99 ${round(summary(burst.latencies).p99)} ms (${burst.received}/${expectedBurst})`,
  );

  // Abrupt drop: both client processes killed; the server must notice every connection.
  const killedAt = now();
  for (const c of clients) c.child.kill('SIGKILL');
  const drainMs = await waitFor(`${server.name}: zero subscribers`, async () => (await server.subscribers()) === 0, 120_000).then(
    (ms) => ms,
    () => Number.NaN,
  );
  const leftAfterDrop = await server.subscribers();
  await sleep(5_000);
  const rssAfterDrop = await steadyRss(server.pid);
  const heapAfterDrop = await server.heapUsed?.();
  const gcAfterDrop = await fullGc();
  const mib = (n: number) => round(n / 2 ** 20);
  return {
    afterFullGc: {
      heapMiB: { before: mib(gcBefore.heapUsed), connected: mib(gcConnected.heapUsed), afterDrop: mib(gcAfterDrop.heapUsed) },
      rssMiB: { before: mib(gcBefore.rss), connected: mib(gcConnected.rss), afterDrop: mib(gcAfterDrop.rss) },
      retainedHeapBytesPerSubscriber: Math.round((gcConnected.heapUsed - gcBefore.heapUsed) / connected),
      heapLeftAfterDropMiB: mib(gcAfterDrop.heapUsed - gcBefore.heapUsed),
      gcMs: round(gcConnected.gcMs),
    },
    subscribers: connected,
    connectSeconds: round(connectSeconds),
    rssBeforeMiB: round(rssBefore / 2 ** 20),
    rssConnectedMiB: round(rssConnected / 2 ** 20),
    rssAfterDropMiB: round(rssAfterDrop / 2 ** 20),
    heapMiB:
      heapBefore === undefined
        ? null
        : { before: round(heapBefore / 2 ** 20), connected: round(heapConnected! / 2 ** 20), afterDrop: round(heapAfterDrop! / 2 ** 20) },
    bytesPerSubscriber: Math.round((rssConnected - rssBefore) / connected),
    heapBytesPerSubscriber: heapBefore === undefined || heapConnected === undefined ? null : Math.round((heapConnected - heapBefore) / connected),
    idleRedisCommandsPerSecond: round(idleCommandsPerSecond),
    redisClientsAtOne: redisAtOne,
    redisClientsAtN: redisAtN,
    gcDuringPhases: { steady: gcDelta(gc0, gc1), burst: gcDelta(gc1, gc2) },
    steady: {
      events: total,
      eventsPerSecond: options.eventsPerSecond,
      deliveriesExpected: expectedSteady,
      deliveriesReceived: steady.received,
      latencyMs: summary(steady.latencies),
    },
    burst: {
      bursts: options.bursts,
      framesPerBurst: subscribers,
      deliveriesExpected: expectedBurst,
      deliveriesReceived: burst.received,
      latencyMs: summary(burst.latencies),
    },
    drop: { msToZeroSubscribers: round(drainMs), subscribersLeft: leftAfterDrop, measuredFrom: round(killedAt) },
  };
}

export async function sse(options: { subscribers?: number; jobs?: number } = {}): Promise<BenchResult> {
  const subscribers = options.subscribers ?? Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
  const jobs = options.jobs ?? 100;
  const startedAt = new Date();
  const m = machine();
  const cpu = cpuMeter();
  const redisServer = await benchRedis();
  const prefix = `bs${randomBytes(3).toString('hex')}`;
  const control = new Redis(redisServer.url);
  const queueConnection = control.duplicate();
  for (const c of [control, queueConnection]) c.on('error', () => undefined);
  const queue = new Queue(OPERATIONS_QUEUE, { connection: queueConnection, prefix });
  const jobIds = Array.from({ length: jobs }, (_, i) => `sse-${i}-${randomBytes(4).toString('hex')}`);
  for (const jobId of jobIds) await queue.add('provision', { tenantId: jobId }, { jobId });
  const kubeconfig = await placeholderKubeconfig();
  const params = { subscribers, jobs, redis: control, prefix, jobIds, eventsPerSecond: 50, steadySeconds: 10, bursts: 5 };
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  try {
    // The service: `node src/main.ts api` with its file descriptor limit raised.
    const serviceInspect = await freePort();
    const service = await startService({
      mode: 'api',
      kubeconfig,
      redisUrl: redisServer.url,
      queuePrefix: prefix,
      raiseOpenFiles: true,
      config: BENCH_CONFIG_BASE,
      inspectPort: serviceInspect,
    });
    const serviceTarget: Server = {
      name: 'service',
      baseUrl: service.baseUrl,
      token: service.token,
      pid: service.pid,
      stop: service.stop,
      inspectPort: serviceInspect,
      metricsUrl: service.metricsUrl,
      subscribers: async () => metricSamples(await scrape(service.metricsUrl), 'tenant_provisioner_sse_subscribers')[0]?.value ?? Number.NaN,
      heapUsed: async () => metricSamples(await scrape(service.metricsUrl), 'nodejs_heap_size_used_bytes')[0]?.value ?? Number.NaN,
    };
    try {
      results.service = await measure(serviceTarget, { ...params, jobIds });
    } finally {
      await service.stop();
    }
    const port = await freePort();
    const bareInspect = await freePort();
    const bare = spawn(
      'sh',
      [
        '-c',
        RAISE_OPEN_FILES,
        process.execPath,
        `--inspect=127.0.0.1:${bareInspect}`,
        join(BENCH_DIR, 'baselines', 'bare-sse.ts'),
        String(port),
        redisServer.url,
        `${prefix}:job-events`,
      ],
      {
        cwd: REPO_DIR,
        stdio: 'inherit',
      },
    );
    const bareUrl = `http://127.0.0.1:${port}`;
    await waitFor('bare SSE server', async () => (await fetch(`${bareUrl}/healthz`)).ok, 20_000);
    const bareTarget: Server = {
      name: 'bare',
      baseUrl: bareUrl,
      token: 'none',
      pid: bare.pid!,
      inspectPort: bareInspect,
      subscribers: async () => ((await (await fetch(`${bareUrl}/stats`)).json()) as { subscribers: number }).subscribers,
      stop: async () => {
        bare.kill('SIGTERM');
      },
    };
    try {
      results.bare = await measure(bareTarget, { ...params, jobIds });
    } finally {
      await bareTarget.stop();
    }
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    queueConnection.disconnect();
    control.disconnect();
    await redisServer.stop();
    await rm(dirname(kubeconfig), { recursive: true, force: true });
  }
  const s = results.service!;
  const b = results.bare!;
  const perDeliveryUs = (x: typeof s) => round((x.burst.latencyMs.p50 * 1000) / x.burst.framesPerBurst, 1);
  const lost = s.steady.deliveriesExpected - s.steady.deliveriesReceived + s.burst.deliveriesExpected - s.burst.deliveriesReceived;
  const ratios = {
    steadyP99: round(s.steady.latencyMs.p99 / b.steady.latencyMs.p99, 2),
    burstP99: round(s.burst.latencyMs.p99 / b.burst.latencyMs.p99, 2),
    bytesPerSubscriber: round(s.bytesPerSubscriber / b.bytesPerSubscriber, 2),
  };
  const kib = (bytes: number) => round(bytes / 1024, 1);
  const result: BenchResult = {
    benchmark: 'sse',
    title: `4. SSE fan-out: ${subscribers} subscribers on one API process`,
    startedAt: startedAt.toISOString(),
    durationSeconds: round((Date.now() - startedAt.getTime()) / 1000),
    machine: m,
    cpuBusyPercent: cpu.busyPercent(),
    parameters: {
      subscribers,
      jobs,
      subscribersPerJob: subscribers / jobs,
      clientProcesses: 2,
      steady: `${params.eventsPerSecond} events/s for ${params.steadySeconds} s, round-robin over the jobs`,
      bursts: `${params.bursts} × one event to every job at once (${subscribers} frames)`,
      heartbeatSeconds: 15,
    },
    results: { service: s, bare: b, ratios },
    targets: [
      {
        name: 'steady p99 delivery latency (50 events/s)',
        target: '≤ 100 ms',
        measured: `${s.steady.latencyMs.p99} ms (bare ${b.steady.latencyMs.p99} ms; p50 ${s.steady.latencyMs.p50} against ${b.steady.latencyMs.p50} ms)`,
        met: s.steady.latencyMs.p99 <= 100 && lost === 0,
      },
      {
        name: `burst p99 delivery latency (${s.burst.framesPerBurst} frames at once), against the bare server's`,
        target: '≤ 1.5× bare',
        measured: `${ratios.burstP99}× (${s.burst.latencyMs.p99} against ${b.burst.latencyMs.p99} ms; ~${perDeliveryUs(s)} against ~${perDeliveryUs(b)} µs per delivery at the median)`,
        met: ratios.burstP99 <= 1.5 && lost === 0,
      },
      {
        name: "memory per subscriber (RSS delta / N), against the bare server's",
        target: '≤ 1.5× bare',
        measured: `${ratios.bytesPerSubscriber}× (${kib(s.bytesPerSubscriber)} against ${kib(b.bytesPerSubscriber)} KiB; JS heap kept after a full GC ${kib(s.afterFullGc.retainedHeapBytesPerSubscriber)} against ${kib(b.afterFullGc.retainedHeapBytesPerSubscriber)} KiB)`,
        met: ratios.bytesPerSubscriber <= 1.5,
      },
      {
        name: `Redis commands/s with ${s.subscribers} idle subscribers (one heartbeat period)`,
        target: '≤ 50',
        measured: `${s.idleRedisCommandsPerSecond} (bare ${b.idleRedisCommandsPerSecond})`,
        met: s.idleRedisCommandsPerSecond <= 50,
      },
      {
        name: 'Redis connections',
        target: 'same at N as at 1',
        measured: `${s.redisClientsAtOne.total} at 1, ${s.redisClientsAtN.total} at ${s.subscribers}`,
        met: s.redisClientsAtOne.total === s.redisClientsAtN.total,
      },
      {
        name: 'subscribers after all clients are killed',
        target: '0',
        measured: `${s.drop.subscribersLeft} (${s.drop.msToZeroSubscribers} ms to zero; ${s.afterFullGc.heapLeftAfterDropMiB} MiB of heap still retained after a full GC)`,
        met: s.drop.subscribersLeft === 0,
      },
    ],
    notes: [
      'Targets of issue 13: steady p99 ≤ 100 ms; burst p99 and memory per subscriber within 1.5× of the bare node:http server run beside the service on the same machine (the bare server itself needs ~14 KiB of RSS per open socket, and its burst p99 is 150–350 ms with the client processes on the same 2 cores); Redis commands/s with idle subscribers ≤ 50.',
      'Latency: from just before the bench appends the event (XADD + PUBLISH in one script, as the worker does, the announcement naming the entry before it) to the moment its bytes reach a client process; clients and server share the 2 cores.',
      "Redis connections are counted with CLIENT LIST (all clients of the bench Redis: the API process plus the bench's own two).",
      'afterFullGc: the same points measured again right after a full garbage collection forced through the inspector: retainedHeapBytesPerSubscriber is what each subscriber keeps alive, heapLeftAfterDropMiB what is still retained once every client is gone (a leak would show here).',
      'idleRedisCommandsPerSecond: Redis commands per second (INFO total_commands_processed, the whole Redis) over one 15 s heartbeat period with every subscriber connected and no events.',
      lost === 0 ? 'No delivery was lost.' : `${lost} deliveries were not received within 2 s of the phase end.`,
    ],
  };
  await writeResult(result);
  return result;
}
