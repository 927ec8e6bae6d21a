import type { RouteHandler } from '@hono/zod-openapi';
import type { Kubernetes } from '../../kubernetes/kube-client.ts';
import { withDeadline } from '../../services/deadline.ts';
import type { RedisCommands } from '../../services/redis-commands.ts';
import type { AppEnv } from '../app-env.ts';
import { ProblemError } from '../errors/problem-error.ts';
import type { healthzRoute, readyzRoute } from './health.routes.ts';

export type HealthDeps = {
  redis: Pick<RedisCommands, 'ping'>;
  kube: Pick<Kubernetes, 'version'>;
  /**
   * The process's outage reporters: a dependency in an outage is not ready even when a ping
   * answers (a read-only Redis answers PING but refuses every write).
   */
  outages?: ReadonlyArray<{ dependency: string; isDown(): boolean }> | undefined;
};

// Short: a probe that waits longer than the kubelet's timeout is a failed probe anyway.
const PROBE_DEADLINE_MS = 1_500;

export function healthHandlers(deps: HealthDeps) {
  const healthz: RouteHandler<typeof healthzRoute, AppEnv> = (c) => c.json({ status: 'ok' as const }, 200);

  const readyz: RouteHandler<typeof readyzRoute, AppEnv> = async (c) => {
    const down = (deps.outages ?? []).filter((o) => o.isDown()).map((o) => o.dependency);
    // A dependency in an outage is not asked again: the probe answers at once instead of after its deadline.
    const check = <T>(name: string, work: () => Promise<T>) =>
      down.includes(name) ? Promise.reject(new Error(`${name} is unavailable`)) : withDeadline(work(), PROBE_DEADLINE_MS, name);
    const [redis, kubernetes] = await Promise.allSettled([check('redis', () => deps.redis.ping()), check('kubernetes', () => deps.kube.version.getCode())]);
    const failed = Object.entries({ redis, kubernetes }).filter(([, result]) => result.status === 'rejected');
    if (failed.length > 0 || down.length > 0) {
      // An outage's reporter has logged it already: a probe every few seconds must not repeat it.
      if (failed.some(([name]) => !down.includes(name))) {
        c.var.logger.warn(Object.fromEntries(failed.map(([name, r]) => [name, String((r as PromiseRejectedResult).reason)])), 'not ready');
      }
      const reasons = [
        ...down.map((name) => `${name} is unavailable`),
        ...failed.filter(([name]) => !down.includes(name)).map(([name]) => `${name} did not answer`),
      ];
      throw new ProblemError('dependency_unavailable', { detail: `Not ready: ${reasons.join(' and ')}` });
    }
    return c.json({ status: 'ok' as const, checks: { redis: 'ok' as const, kubernetes: 'ok' as const } }, 200);
  };

  return { healthz, readyz };
}
