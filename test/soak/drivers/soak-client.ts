import { setTimeout as sleep } from 'node:timers/promises';
import type { Random } from '../seeded-random.ts';
import type { DriverContext } from './driver-context.ts';

/** An HTTP answer, or a request that got none. `sent`: the request may have reached the service. */
export type Answer = { status: number; body: unknown; headers: Headers; via: number; text: string };
export type NoAnswer = { status: 0; via: number; sent: boolean; error: string };
export type Outcome = Answer | NoAnswer;

const REQUEST_TIMEOUT_MS = 15_000;
// Errors raised before a byte left this process: the service cannot have acted on the request.
const NOT_SENT = new Set(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENOTFOUND']);

const errorCode = (error: unknown): string | undefined => {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code;
};

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

export type SendOptions = { method?: string; body?: string; headers?: Record<string, string>; auth?: boolean; api?: number };

/**
 * One request to a live API (a random one unless `api` names it), with the ledger kept: every status
 * counted, every unanswered request counted as a network error, and a 5xx other than 503 recorded as
 * a violation (a failover or a killed peer must look like 503, never like a crash). Never throws.
 */
export async function send(ctx: DriverContext, rng: Random, path: string, options: SendOptions = {}): Promise<Outcome> {
  const apis = ctx.fleet.apiUrls();
  const target = apis.find((a) => a.index === options.api) ?? (apis.length > 0 ? rng.pick(apis) : undefined);
  if (!target) return { status: 0, via: -1, sent: false, error: 'no API is up' };
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth !== false) headers['authorization'] = `Bearer ${ctx.token}`;
  try {
    const response = await fetch(`${target.url}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: 'manual',
    });
    const text = await response.text();
    const body = response.headers.get('content-type')?.includes('json') ? parseJson(text) : text;
    ctx.ledger.status(response.status);
    if (response.status >= 500 && response.status !== 503) {
      ctx.ledger.violate('no-500', `${method} ${path} on API ${target.index} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return { status: response.status, body, headers: response.headers, via: target.index, text };
  } catch (error) {
    ctx.ledger.networkErrors += 1;
    const code = errorCode(error);
    return { status: 0, via: target.index, sent: !(code && NOT_SENT.has(code)), error: code ?? String(error) };
  }
}

/** Answers a client retries: no answer, 503 (no primary, Redis away), 429 (rate limit). */
export const transient = (o: Outcome): boolean => o.status === 0 || o.status === 503 || o.status === 429;

/**
 * Retries `attempt` with jittered exponential backoff while `retry` says so, at most `maxAttempts`
 * times, and not after the drive ended. `lostAnswer`: some attempt may have reached the service
 * without its answer reaching us, so a final refusal or silence leaves the outcome unknown.
 */
export async function withRetries(
  ctx: DriverContext,
  rng: Random,
  attempt: () => Promise<Outcome>,
  retry: (o: Outcome) => boolean = transient,
  maxAttempts = 6,
): Promise<{ final: Outcome; lostAnswer: boolean; attempts: number }> {
  let lostAnswer = false;
  for (let n = 1; ; n++) {
    const final = await attempt();
    if ('sent' in final && final.sent) lostAnswer = true;
    if (!retry(final) || n >= maxAttempts || ctx.until.aborted) return { final, lostAnswer, attempts: n };
    await sleep(Math.min(4_000, 250 * 2 ** (n - 1)) * (0.5 + rng.next()));
  }
}

/** Sleeps `ms`, or less when the drive ends first. */
export const pause = (ctx: DriverContext, ms: number): Promise<void> => sleep(ms, undefined, { signal: ctx.until }).catch(() => undefined);
