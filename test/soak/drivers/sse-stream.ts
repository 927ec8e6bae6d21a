import type { Random } from '../seeded-random.ts';
import type { DriverContext } from './driver-context.ts';

export type SseEvent = { event: string; id: string | undefined };
/** How one connection ended: the terminal event, our own disconnect, the server closing, or an answer other than 200. */
export type StreamEnd = { end: 'terminal' | 'disconnected' | 'closed' } | { end: 'status'; status: number; via: number };

/** Event ids are Redis stream ids, `ms-seq`: compared as two integers. */
export function compareEventIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

const TERMINAL = new Set(['completed', 'failed']);

/**
 * One connection to `GET /api/jobs/{id}/events` on a random live API, resumed after `lastEventId`
 * when given. Each event goes to `onEvent` as it is parsed. The client hangs up by itself after
 * `disconnectAfterMs`, or when `onEvent` returns true; `disconnectAfterMs: Infinity` follows to the end.
 */
export async function openStream(
  ctx: DriverContext,
  rng: Random,
  jobId: string,
  lastEventId: string | undefined,
  disconnectAfterMs: number,
  onEvent: (e: SseEvent) => boolean,
): Promise<StreamEnd> {
  const apis = ctx.fleet.apiUrls();
  if (apis.length === 0) return { end: 'status', status: 0, via: -1 };
  const api = rng.pick(apis);
  const hangUp = new AbortController();
  const timer = Number.isFinite(disconnectAfterMs) ? setTimeout(() => hangUp.abort(), disconnectAfterMs) : undefined;
  const headers: Record<string, string> = { authorization: `Bearer ${ctx.token}`, accept: 'text/event-stream' };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  try {
    const response = await fetch(`${api.url}/api/jobs/${encodeURIComponent(jobId)}/events`, {
      headers,
      signal: AbortSignal.any([hangUp.signal, ctx.until, AbortSignal.timeout(180_000)]),
    });
    ctx.ledger.status(response.status);
    if (response.status !== 200 || !response.body) {
      const text = await response.text();
      if (response.status >= 500 && response.status !== 503)
        ctx.ledger.violate('no-500', `SSE ${jobId} on API ${api.index}: ${response.status} ${text.slice(0, 200)}`);
      return { end: 'status', status: response.status, via: api.index };
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut).split('\n');
        buffer = buffer.slice(cut + 2);
        const field = (name: string) =>
          block
            .find((l) => l.startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        // Comments (heartbeats) have no data line.
        if (!block.some((l) => l.startsWith('data:'))) continue;
        const event = { event: field('event') ?? 'message', id: field('id') };
        ctx.ledger.sse.events += 1;
        const stop = onEvent(event);
        if (TERMINAL.has(event.event)) return { end: 'terminal' };
        if (stop) return { end: 'disconnected' };
      }
    }
    return { end: 'closed' };
  } catch {
    if (hangUp.signal.aborted || ctx.until.aborted) return { end: 'disconnected' };
    ctx.ledger.networkErrors += 1;
    return { end: 'status', status: 0, via: api.index };
  } finally {
    clearTimeout(timer);
    // Leaving the loop early cancels the body; this releases the connection in every other case.
    hangUp.abort();
  }
}
