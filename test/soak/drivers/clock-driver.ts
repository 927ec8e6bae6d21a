import { IntentConflictError, type TenantStore } from '../../../src/kubernetes/tenant-store.ts';
import type { DriverContext } from './driver-context.ts';
import { pause } from './soak-client.ts';

const TICK_MS: [number, number] = [15_000, 40_000];

/**
 * Expiry on a fast clock: now and then a demo tenant's trial ends at once, as if its days had
 * passed. Its expires-at moves to the present, written as any intent is (conditioned on the version
 * read), and the expiry sweep does the rest: hibernate, then remove after the grace period. A write
 * that loses to a request, or meets the API server restarting, is left: the clock tries again later.
 */
export async function driveClock(ctx: DriverContext, registry: TenantStore): Promise<void> {
  const rng = ctx.rng.fork('clock');
  await pause(ctx, rng.int(...TICK_MS));
  while (!ctx.until.aborted) {
    const trials = [...ctx.ledger.latestIntents().values()].filter(
      (a) => a.intent.kind === 'present' && a.intent.tier === 'demo' && !a.ambiguous && !ctx.ledger.expired.has(a.tenantId),
    );
    if (trials.length > 0) {
      const { tenantId } = rng.pick(trials);
      const current = await registry.read(tenantId).catch(() => undefined);
      if (current?.tenant.expiresAt && !current.tenant.terminating) {
        const now = new Date().toISOString();
        try {
          await registry.write(tenantId, current.resourceVersion, { expiresAt: now });
          ctx.ledger.expired.set(tenantId, Date.now());
        } catch (error) {
          // Lost to a request (the tenant changed under it), or the API server is restarting: try later.
          if (!(error instanceof IntentConflictError) && !ctx.until.aborted) ctx.ledger.clockMisses += 1;
        }
      }
    }
    await pause(ctx, rng.int(...TICK_MS));
  }
}
