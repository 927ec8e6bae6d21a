// An open-loop load generator: requests start on a fixed schedule whether or not earlier ones
// have answered, and latency is measured from the scheduled start (no coordinated omission).
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { now } from './env.ts';

export type OpenLoopResult = { latencies: number[]; statuses: Record<string, number>; lateStarts: number };

export async function openLoop(options: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: () => string;
  perSecond: number;
  seconds: number;
}): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const total = options.perSecond * options.seconds;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let lateStarts = 0;
  const inflight: Promise<void>[] = [];
  const t0 = now() + 20;
  for (let i = 0; i < total; i += 1) {
    const due = t0 + (i * 1000) / options.perSecond;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    else if (wait < -5) lateStarts += 1;
    const body = options.body();
    inflight.push(
      new Promise<void>((resolve) => {
        const req = request(
          options.url,
          { method: options.method, agent, headers: { ...options.headers, 'Content-Length': Buffer.byteLength(body) } },
          (res) => {
            res.resume();
            res.on('end', () => {
              latencies.push(now() - due);
              statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
              resolve();
            });
          },
        );
        req.on('error', () => {
          statuses.error = (statuses.error ?? 0) + 1;
          resolve();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(inflight);
  agent.destroy();
  return { latencies, statuses, lateStarts };
}

/** The same schedule for any async call (e.g. the intake's own dependencies, called directly). */
export async function openLoopCalls(options: { call: (i: number) => Promise<string>; perSecond: number; seconds: number }): Promise<OpenLoopResult> {
  const total = options.perSecond * options.seconds;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let lateStarts = 0;
  const inflight: Promise<void>[] = [];
  const t0 = now() + 20;
  for (let i = 0; i < total; i += 1) {
    const due = t0 + (i * 1000) / options.perSecond;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    else if (wait < -5) lateStarts += 1;
    inflight.push(
      options.call(i).then(
        (status) => {
          latencies.push(now() - due);
          statuses[status] = (statuses[status] ?? 0) + 1;
        },
        () => {
          statuses.error = (statuses.error ?? 0) + 1;
        },
      ),
    );
  }
  await Promise.all(inflight);
  return { latencies, statuses, lateStarts };
}
