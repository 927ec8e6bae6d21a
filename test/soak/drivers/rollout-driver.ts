import { readLocalChartVersion } from '../../../src/helm/chart-version.ts';
import { TENANT_CHART } from '../../support/chart-archive.ts';
import type { Random } from '../seeded-random.ts';
import { SOAK_CHART_VERSION } from '../soak-timings.ts';
import type { DriverContext } from './driver-context.ts';
import { awaitJob } from './lifecycle-waits.ts';
import { pause, send, withRetries } from './soak-client.ts';

const TENANTS = 4;
const THINK_MS: [number, number] = [10_000, 30_000];
const POLL_MS: [number, number] = [2_000, 5_000];
// A rollout of four tenants, two at a time, with 5 s bakes: well inside this unless faults stall it.
const ROLLOUT_BOUND_MS = 240_000;
const CONFIGURED_CHART_VERSION = readLocalChartVersion(TENANT_CHART) ?? undefined;

type Rollout = { id: string; state: string };

/**
 * Random rollouts over a few tenants of its own: each ships a new app version (a blue-green switch
 * per tenant), a tenant-chart version (in place), or both, with a canary and waves, and some are paused and resumed or aborted on the way. The
 * tenants' promised state (tier, running) is recorded like any provision's, so the convergence check
 * holds them to it; the app version is not promised, since a halted or aborted rollout may leave a
 * tenant on either release. A rollout the drive leaves running is aborted, so the fleet can settle.
 */
export async function driveRollouts(ctx: DriverContext): Promise<void> {
  const rng = ctx.rng.fork('rollouts');
  const tenants = (await Promise.all(Array.from({ length: TENANTS }, (_, i) => provision(ctx, rng.fork(`tenant-${i}`), i)))).filter((id): id is string => !!id);
  if (tenants.length === 0) return;
  let version = 0;
  while (!ctx.until.aborted) {
    await pause(ctx, rng.int(...THINK_MS));
    if (ctx.until.aborted) break;
    // An app version, a chart version (the packaged one or back to the configured one) or both.
    const chart = rng.chance(0.5) ? undefined : rng.chance(0.5) ? SOAK_CHART_VERSION : CONFIGURED_CHART_VERSION;
    const app = chart === undefined || rng.chance(0.5) ? `soak-rollout-${++version}` : undefined;
    const body = {
      target: { ...(app ? { appVersion: app } : {}), ...(chart ? { chartVersion: chart } : {}) },
      selector: { tenantIds: tenants },
      strategy: { canary: { count: 1 }, waves: ['50%'], maxParallel: 2, bakeSeconds: 5, maxFailures: 1, progressDeadlineSeconds: 180 },
    };
    const created = await withRetries(ctx, rng, () =>
      send(ctx, rng, '/api/rollouts', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    );
    if (created.final.status !== 202) continue;
    ctx.ledger.rollouts.started += 1;
    const end = await follow(ctx, rng, (created.final.body as Rollout).id);
    ctx.ledger.rollouts.ends[end] = (ctx.ledger.rollouts.ends[end] ?? 0) + 1;
  }
}

async function provision(ctx: DriverContext, rng: Random, index: number): Promise<string | undefined> {
  const tenantId = `ro${index}-${rng.int(0, 0xffffff).toString(16).padStart(6, '0')}`;
  const body = {
    companyName: `Soak Rollouts ${index}`,
    ownerEmail: `rollouts${index}@soak.example`,
    ownerFirstName: 'Soak',
    ownerLastName: 'Rollouts',
    subscriptionTier: 'free',
    tenantId,
  };
  const headers = { 'content-type': 'application/json', 'idempotency-key': `soak-${tenantId}` };
  const { final } = await withRetries(ctx, rng, () => send(ctx, rng, '/api/provisioning/provision', { method: 'POST', body: JSON.stringify(body), headers }));
  if (final.status !== 202) return undefined;
  const { jobId } = final.body as { jobId: string };
  ctx.ledger.accept({ at: Date.now(), tenantId, operation: 'provision', jobId, intent: { kind: 'present', tier: 'free', hibernated: false }, via: final.via });
  return (await awaitJob(ctx, rng, jobId, 180_000)) === 'completed' ? tenantId : undefined;
}

/** Polls the rollout until it ends, pausing and resuming or aborting it at random on the way; aborts it if the drive ends first. */
async function follow(ctx: DriverContext, rng: Random, id: string): Promise<string> {
  const act = async (action: 'pause' | 'resume' | 'abort') => (await send(ctx, rng, `/api/rollouts/${id}/${action}`, { method: 'POST' })).status === 200;
  const plan = rng.chance(0.25) ? 'abort' : rng.chance(0.35) ? 'pause' : 'watch';
  const deadline = Date.now() + ROLLOUT_BOUND_MS;
  let acted = false;
  for (;;) {
    const read = await send(ctx, rng, `/api/rollouts/${id}`);
    const state = read.status === 200 ? (read.body as Rollout).state : undefined;
    if (state && state !== 'running' && state !== 'paused') return state;
    if (ctx.until.aborted || Date.now() > deadline) {
      // Left running when the drive ends: aborted, so nobody new is started while the fleet settles.
      if (await act('abort')) ctx.ledger.rollouts.aborted += 1;
      return 'aborted';
    }
    if (!acted && state === 'running' && rng.chance(0.3)) {
      acted = true;
      if (plan === 'abort' && (await act('abort'))) ctx.ledger.rollouts.aborted += 1;
      if (plan === 'pause' && (await act('pause'))) {
        ctx.ledger.rollouts.paused += 1;
        await pause(ctx, rng.int(3_000, 10_000));
        // Resumed even after the drive ended: a paused rollout would keep its tenants where they are for ever.
        await act('resume');
      }
    }
    await pause(ctx, rng.int(...POLL_MS));
  }
}
