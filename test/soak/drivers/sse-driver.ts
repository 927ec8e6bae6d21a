import { setTimeout as sleep } from 'node:timers/promises';
import type { Random } from '../seeded-random.ts';
import type { DriverContext } from './driver-context.ts';
import { pause } from './soak-client.ts';
import { compareEventIds, openStream, type SseEvent } from './sse-stream.ts';

const CLIENTS = 3;
/** A job still queued behind others after this long is left: the client follows another. */
const FOLLOW_BOUND_MS = 150_000;
const RECENT_JOBS = 15;

/**
 * A few clients, each following one recent job at a time (from the ledger's accepted requests),
 * hanging up at random and resuming with Last-Event-ID on any live API. Per follow: no id twice,
 * ids only increase, and once the job finished, the ids seen are exactly the job's whole stream
 * (read again from the start): an id missing is 'sse-gap', a repeat or a step back 'sse-repeat'.
 */
export async function driveSse(ctx: DriverContext): Promise<void> {
  await Promise.all(Array.from({ length: CLIENTS }, (_, index) => runClient(ctx, ctx.rng.fork(`client-${index}`))));
}

async function runClient(ctx: DriverContext, rng: Random): Promise<void> {
  const followed = new Set<string>();
  while (!ctx.until.aborted) {
    const recent = ctx.ledger.accepted.flatMap((a) => (a.jobId && !followed.has(a.jobId) ? [a.jobId] : [])).slice(-RECENT_JOBS);
    if (recent.length === 0) {
      await pause(ctx, 2_000);
      continue;
    }
    const jobId = rng.pick(recent);
    followed.add(jobId);
    await follow(ctx, rng, jobId);
    await pause(ctx, rng.int(500, 3_000));
  }
}

async function follow(ctx: DriverContext, rng: Random, jobId: string): Promise<void> {
  const { sse } = ctx.ledger;
  sse.follows += 1;
  const seen = new Set<string>();
  let last: string | undefined;
  const onEvent = (e: SseEvent) => {
    if (e.id === undefined) ctx.ledger.violate('sse-repeat', `job ${jobId}: event ${e.event} without an id`);
    else if (seen.has(e.id)) ctx.ledger.violate('sse-repeat', `job ${jobId}: event ${e.id} seen twice`);
    else if (last !== undefined && compareEventIds(e.id, last) <= 0) ctx.ledger.violate('sse-repeat', `job ${jobId}: event ${e.id} after ${last}`);
    if (e.id !== undefined) {
      seen.add(e.id);
      last = e.id;
    }
    return rng.chance(0.15);
  };
  const deadline = Date.now() + FOLLOW_BOUND_MS;
  for (let connection = 0; Date.now() < deadline && !ctx.until.aborted; connection++) {
    if (connection > 0) sse.resumes += 1;
    const ended = await openStream(ctx, rng, jobId, last, rng.chance(0.5) ? rng.int(300, 10_000) : Infinity, onEvent);
    if (ended.end === 'terminal') return verify(ctx, rng, jobId, seen, last!);
    if (ended.end === 'status') {
      // 404: BullMQ no longer keeps the job. 204: nothing follows our last id, yet no terminal event reached us.
      if (ended.status === 404) break;
      if (ended.status === 204) {
        ctx.ledger.violate('sse-gap', `job ${jobId}: 204 after ${last ?? 'no event'} on API ${ended.via}, but no terminal event was seen`);
        return;
      }
      await sleep(rng.int(300, 2_000));
    }
  }
  sse.abandoned += 1;
}

/** Reads the finished job's whole stream once more from the start and compares it with what the client saw. */
async function verify(ctx: DriverContext, rng: Random, jobId: string, seen: Set<string>, last: string): Promise<void> {
  const all: string[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    all.length = 0;
    const ended = await openStream(ctx, rng, jobId, undefined, 20_000, (e) => {
      if (e.id !== undefined) all.push(e.id);
      return false;
    });
    if (ended.end === 'terminal') break;
    if (ended.end === 'status' && ended.status === 404) return;
    if (attempt === 4 || ctx.until.aborted) return;
    await sleep(rng.int(500, 2_000));
  }
  const missing = all.filter((id) => !seen.has(id) && compareEventIds(id, last) <= 0);
  const unknown = [...seen].filter((id) => !all.includes(id));
  if (missing.length > 0) ctx.ledger.violate('sse-gap', `job ${jobId}: missed ${missing.join(', ')} of ${all.length} events`);
  // The job's history no longer holds ids the client was sent: judged at the end, against the failovers seen (ledger.ts).
  if (unknown.length > 0) ctx.ledger.sseForgotten.push({ jobId, ids: unknown });
  ctx.ledger.sse.checked += 1;
}
