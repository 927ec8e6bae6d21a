import type { Random } from '../seeded-random.ts';
import type { DriverContext } from './driver-context.ts';
import { pause, send } from './soak-client.ts';

const POLL_MS: [number, number] = [2_000, 4_000];

/**
 * Polls `GET /api/jobs/{id}` sparingly until the job finished, `boundMs` passed or the drive ended.
 * Resolves the last state seen ('gone' for a 404: BullMQ no longer keeps it), undefined for none.
 */
export async function awaitJob(ctx: DriverContext, rng: Random, jobId: string, boundMs = 90_000): Promise<string | undefined> {
  const deadline = Date.now() + boundMs;
  let state: string | undefined;
  while (!ctx.until.aborted && Date.now() < deadline) {
    const answer = await send(ctx, rng, `/api/jobs/${encodeURIComponent(jobId)}`);
    if (answer.status === 404) return 'gone';
    if (answer.status === 200) state = (answer.body as { state?: string }).state;
    if (state === 'completed' || state === 'failed') return state;
    await pause(ctx, rng.int(...POLL_MS));
  }
  return state;
}

/** Polls the tenant's status until it answers 404 (removed), `boundMs` passed or the drive ended. */
export async function awaitGone(ctx: DriverContext, rng: Random, tenantId: string, boundMs = 90_000): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (!ctx.until.aborted && Date.now() < deadline) {
    // Each status read runs `helm status`: poll slowly.
    if ((await send(ctx, rng, `/api/provisioning/${tenantId}/status`)).status === 404) return true;
    await pause(ctx, rng.int(4_000, 8_000));
  }
  return false;
}
