import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The health server's address, read from the worker's log ('health server listening'). */
export async function healthUrl(log: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = readLines(log).find((l) => l.msg === 'health server listening');
    if (typeof line?.url === 'string') return line.url;
    await sleep(100);
  }
  throw new Error(`no 'health server listening' line in ${log}`);
}

type LogLine = { time?: string; msg?: string; [key: string]: unknown };

/** The JSON lines of a pino log (anything else, such as a stack printed by Node, counts as a line without a time). */
export function readLines(log: string): LogLine[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return { msg: line };
      }
    });
}

/** Lines logged in [from, to) (ms since the epoch); lines without a time are counted too, to be safe. */
export function linesBetween(log: string, from: number, to: number): LogLine[] {
  return readLines(log).filter((l) => {
    if (!l.time) return true;
    const at = Date.parse(l.time);
    return at >= from && at < to;
  });
}

export type Sample = { at: number; readyz: number; up: number | undefined; errors: number | undefined };

/** Reads a gauge or counter sample `name{dependency="…"}` from Prometheus text. */
export function metricSample(text: string, name: string, dependency: string): number | undefined {
  const match = new RegExp(`^${name}\\{[^}]*dependency="${dependency}"[^}]*\\} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * Polls /readyz and /metrics of a health server every `everyMs` until stopped, recording the
 * readiness status and the dependency's up gauge and error counter at each point.
 */
export function sampleHealth(baseUrl: string, dependency: string, everyMs = 250) {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const readyz = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(3_000) }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0,
      );
      // When the answer came: a probe that waits for its deadline answers about the end of the wait.
      const at = Date.now();
      const text = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(3_000) }).then(
        (r) => r.text(),
        () => '',
      );
      samples.push({
        at,
        readyz,
        up: metricSample(text, 'tenant_provisioner_dependency_up', dependency),
        errors: metricSample(text, 'tenant_provisioner_dependency_errors_total', dependency),
      });
      await sleep(everyMs);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** A compact view of the samples for messages: "+0.2s 200 up=1 …". */
export function describeSamples(samples: Sample[], since: number): string {
  return samples.map((s) => `${((s.at - since) / 1000).toFixed(1)}s:${s.readyz}/up=${s.up ?? '-'}/err=${s.errors ?? '-'}`).join(' ');
}

/** Time for an outage to be noticed (a probe or two), and after its end for recovery to be seen. */
export const NOTICE_MS = 3_000;
export const SETTLE_MS = 5_000;

/**
 * `end` is when the fault is undone; `back`, when the dependency answers again, if that takes a
 * while of its own (a restarted API server needs seconds to serve, more on a loaded machine, and
 * the service can only recover after that). Recovery is judged from `back`, or from `end`.
 */
export type OutageWindow = { name: string; start: number; end: number; back?: number };

/**
 * What the samples and the worker's log say about one outage: the log lines from its start until
 * SETTLE_MS after the dependency is back, the samples well inside it (`during`) and those after it
 * has settled.
 */
export function judgeOutage(window: OutageWindow, samples: Sample[], log: string) {
  const back = window.back ?? window.end;
  const lines = linesBetween(log, window.start, back + SETTLE_MS);
  const during = samples.filter((s) => s.at >= window.start + NOTICE_MS && s.at < window.end);
  const after = samples.filter((s) => s.at >= back + SETTLE_MS && s.at < back + 2 * SETTLE_MS);
  const firstReady = samples.find((s) => s.at >= back && s.readyz === 200);
  const notReady = samples.filter((s) => s.at >= window.start && s.at < back + SETTLE_MS && s.readyz === 503);
  return {
    lines: lines.length,
    messages: [...new Set(lines.map((l) => l.msg))],
    during,
    after,
    readyAfterMs: firstReady ? firstReady.at - back : undefined,
    notReadyMs: notReady.length > 0 ? notReady.at(-1)!.at - notReady[0]!.at : 0,
    notReadyFromMs: notReady[0] ? notReady[0].at - window.start : undefined,
  };
}
