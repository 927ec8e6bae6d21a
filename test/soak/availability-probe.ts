import { setTimeout as sleep } from 'node:timers/promises';
import type { Ledger } from './ledger.ts';

type ProbeTarget = { apiUrls(): Array<{ index: number; url: string }> };

/**
 * Asks every live API, a few times a second, for an authenticated read that needs Redis and the
 * cluster (GET /api/tenants?limit=1): a 503 opens an unavailability window for that API, the next
 * 2xx closes it; a 500 is a violation (a failover must look like 503, never like a crash). A
 * connection refused is a killed process, not an answer, and is not counted as a window.
 */
export async function probeAvailability(fleet: ProbeTarget, token: string, ledger: Ledger, signal: AbortSignal, everyMs = 250): Promise<void> {
  const open = new Map<number, number>();
  const close = (api: number, to: number) => {
    const from = open.get(api);
    if (from === undefined) return;
    open.delete(api);
    ledger.unavailable.push({ api, from, to });
  };
  while (!signal.aborted) {
    await Promise.all(
      fleet.apiUrls().map(async ({ index, url }) => {
        const status = await fetch(`${url}/api/tenants?limit=1`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) }).then(
          async (r) => {
            await r.body?.cancel();
            return r.status;
          },
          () => undefined,
        );
        if (status === undefined) return;
        if (status === 503) {
          if (!open.has(index)) open.set(index, Date.now());
        } else if (status >= 500) {
          ledger.violate('no-500', `GET /api/tenants on API ${index} answered ${status}`);
        } else {
          close(index, Date.now());
        }
      }),
    );
    await sleep(everyMs, undefined, { signal }).catch(() => undefined);
  }
  for (const api of [...open.keys()]) close(api, Date.now());
}
