import type { RouteHandler } from '@hono/zod-openapi';
import type { Kubernetes } from '../../kubernetes/kube-client.ts';
import { withDeadline } from '../../services/deadline.ts';
import type { RedisCommands } from '../../services/redis-commands.ts';
import type { AppEnv } from '../app-env.ts';
import { ProblemError } from '../errors/problem-error.ts';
import type { healthzRoute, readyzRoute } from './health.routes.ts';

export type HealthDeps = { redis: Pick<RedisCommands, 'ping'>; kube: Pick<Kubernetes, 'version'> };

// Short: a probe that waits longer than the kubelet's timeout is a failed probe anyway.
const PROBE_DEADLINE_MS = 1_500;

export function healthHandlers(deps: HealthDeps) {
  const healthz: RouteHandler<typeof healthzRoute, AppEnv> = (c) => c.json({ status: 'ok' as const }, 200);

  const readyz: RouteHandler<typeof readyzRoute, AppEnv> = async (c) => {
    const [redis, kubernetes] = await Promise.allSettled([
      withDeadline(deps.redis.ping(), PROBE_DEADLINE_MS, 'redis'),
      withDeadline(deps.kube.version.getCode(), PROBE_DEADLINE_MS, 'kubernetes'),
    ]);
    const failed = Object.entries({ redis, kubernetes }).filter(([, result]) => result.status === 'rejected');
    if (failed.length > 0) {
      c.var.logger.warn(Object.fromEntries(failed.map(([name, r]) => [name, String((r as PromiseRejectedResult).reason)])), 'not ready');
      throw new ProblemError('dependency_unavailable', { detail: `Not ready: ${failed.map(([name]) => name).join(' and ')} did not answer` });
    }
    return c.json({ status: 'ok' as const, checks: { redis: 'ok' as const, kubernetes: 'ok' as const } }, 200);
  };

  return { healthz, readyz };
}
