import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openApiFence } from '../helm/api-fence.ts';
import type { HelmConnection } from '../helm/helm-client.ts';
import type { HelmApiRoute } from '../helm/helm-route.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
import type { Lease } from './tenant-lease.ts';

/** The log line a fence writes when it closes; the soak reads it (test/soak/invariants/fence-windows.ts). */
export const FENCE_CLOSED = 'api fence closed';

/** One job's fence: how its Helm goes through it, and closing it once no Helm of the job runs. */
export type JobFence = { connection: HelmConnection; close(): Promise<void> };

export interface JobFences {
  /**
   * A fence for the Helm children of one job under `lease`, open while `keeper` says the lease
   * holds. `logger` is the job's (bound to its jobId and tenantId).
   */
  open(job: { lease: Lease; keeper: Pick<LeaseKeeper, 'heldNow' | 'lost'>; logger: Logger }): Promise<JobFence>;
}

/**
 * Opens the per-job API fences of a worker process. Each logs one line when it closes, with its
 * lease token and the window in which it forwarded anything: two tokens' windows on one tenant
 * must never overlap, which is the one-mutator invariant as the API server sees it.
 */
export function createJobFences(route: HelmApiRoute, metrics?: Metrics): JobFences {
  return {
    async open({ lease, keeper, logger }) {
      // client-go caches discovery on disk per server address, and each fence has a port of its
      // own: in the shared ~/.kube/cache that is a directory per job, forever. So one per fence,
      // shared by the job's Helm calls and removed with it.
      const cache = await mkdtemp(join(tmpdir(), 'tp-helm-cache-'));
      const fence = await openApiFence({ target: route.target, heldNow: keeper.heldNow, lost: keeper.lost }).catch(async (error: unknown) => {
        await rm(cache, { recursive: true, force: true });
        throw error;
      });
      return {
        connection: { flags: route.flags(fence.port), env: { KUBECACHEDIR: cache } },
        async close() {
          const r = await fence.close();
          await rm(cache, { recursive: true, force: true });
          metrics?.apiFenceRefused({ chunks: r.refusedChunks, connections: r.refusedConnections });
          // `leaseToken`, not `token`: the logger redacts every `token`.
          logger.info(
            {
              leaseToken: lease.token,
              forwardedFrom: r.forwardedFrom ?? null,
              forwardedUntil: r.forwardedUntil ?? null,
              chunks: r.chunks,
              connections: r.connections,
              refused: r.refusedChunks + r.refusedConnections,
              refusedChunks: r.refusedChunks,
              refusedConnections: r.refusedConnections,
            },
            FENCE_CLOSED,
          );
        },
      };
    },
  };
}
