import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { KubeRequestObservation } from '../observability/kube-request.ts';
import { createOutageReporter, type OutageReporter } from '../observability/outage-reporter.ts';
import { withDeadline } from '../services/deadline.ts';
import type { Releasers } from './releasers.ts';

/** The process's outage reporters, one per dependency, shared by every listener of the process. */
export type Outages = { redis: OutageReporter; kubernetes: OutageReporter };

export type OutageProbes = {
  /** A write: a read-only or out-of-memory Redis answers PING but refuses writes. */
  redis: () => Promise<unknown>;
  kubernetes: () => Promise<unknown>;
};

const PROBE_DEADLINE_MS = 2_000;
// While an outage lasts: a check a second, a summary line every half minute.
const PROBE_EVERY_MS = 1_000;
const SUMMARY_EVERY_MS = 30_000;

export function createOutages(deps: { logger: Logger; metrics: Metrics; probes: OutageProbes }, releasers: Releasers): Outages {
  const reporter = (dependency: keyof OutageProbes) => {
    const probe = deps.probes[dependency];
    const created = createOutageReporter({
      dependency,
      logger: deps.logger,
      probe: () => withDeadline(probe(), PROBE_DEADLINE_MS, `${dependency} check`),
      onFailure: () => deps.metrics.dependencyError(dependency),
      onChange: (up) => deps.metrics.dependencyUp(dependency, up),
      probeEveryMs: PROBE_EVERY_MS,
      summaryEveryMs: SUMMARY_EVERY_MS,
    });
    deps.metrics.dependencyUp(dependency, true);
    return created;
  };
  const outages = { redis: reporter('redis'), kubernetes: reporter('kubernetes') };
  releasers.add('outage reporters', async () => {
    outages.redis.close();
    outages.kubernetes.close();
  });
  return outages;
}

/** A Redis write of its own for the check: a key per process that expires by itself. */
export function redisWriteProbe(redis: Pick<Redis, 'set'>, prefix: string): () => Promise<unknown> {
  const key = `${prefix}:outage-check:${process.pid}`;
  return () => redis.set(key, '1', 'PX', 10_000);
}

// A replica refuses writes with READONLY (a failover under way, as a Sentinel client sees it),
// a loading or primary-less one with LOADING / MASTERDOWN.
const RECONNECT_ON = /^(READONLY|LOADING|MASTERDOWN)\b/;

/**
 * Reports a connection's errors to the Redis reporter and makes its retries wait while an outage
 * lasts. BullMQ retries a fetch refused with an error reply at once (its `runRetryDelay` only
 * applies to connection errors), so a read-only Redis spun every worker's loop and wrote a line per
 * spin. Reconnecting on such a reply (ioredis's own remedy for a failover: the new connection
 * reaches the new primary) makes each retry wait for the retry strategy, which waits a second or
 * two while an outage lasts. ioredis reads both options at each use, and `duplicate()` copies them
 * (BullMQ's blocking connections), so they are set on the connection redis-connections.ts made.
 */
export function reportRedis(connection: Redis, source: string, outage: OutageReporter): void {
  connection.on('error', (error: Error) => outage.failure(source, error));
  connection.options.retryStrategy = (attempt) => outage.retryDelayMs(attempt);
  // A connection's own choice (a Sentinel connection resending the command) stands.
  connection.options.reconnectOnError ??= (error) => RECONNECT_ON.test(error.message);
}

/** The Kubernetes request observer: the metrics count every request; no answer or a 5xx is a failure of the API server. */
export function observeKube(metrics: Metrics, outage: OutageReporter) {
  return (request: KubeRequestObservation): void => {
    metrics.kubernetesRequest(request);
    if (request.code !== 'error' && !request.code.startsWith('5')) return;
    outage.failure('kubernetes api', new Error(`${request.verb} ${request.resource}: ${request.code === 'error' ? 'no answer' : request.code}`));
  };
}
