import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FENCE_CLOSED } from '../../../src/worker/job-fence.ts';

/** One job's API fence as its worker logged it on closing; times are epoch ms, absent when nothing was forwarded. */
export type FenceWindow = {
  worker: string;
  tenantId: string;
  jobId: string;
  leaseToken: number;
  forwardedFrom: number | undefined;
  forwardedUntil: number | undefined;
  refused: number;
};

/** Every fence line in the workers' logs (`worker-<i>.log`, restarted workers appending to their slot's file). */
export function readFenceWindows(logDir: string): FenceWindow[] {
  const windows: FenceWindow[] = [];
  for (const file of readdirSync(logDir).filter((f) => /^worker-\d+\.log$/.test(f))) {
    for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
      if (!line.includes(`"msg":"${FENCE_CLOSED}"`)) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      const time = (value: unknown) => (typeof value === 'number' ? value : undefined);
      windows.push({
        worker: file.replace(/\.log$/, ''),
        tenantId: String(entry['tenantId']),
        jobId: String(entry['jobId']),
        leaseToken: Number(entry['leaseToken']),
        forwardedFrom: time(entry['forwardedFrom']),
        forwardedUntil: time(entry['forwardedUntil']),
        refused: Number(entry['refused'] ?? 0),
      });
    }
  }
  return windows;
}

/**
 * One mutator per tenant as the API server sees it: two fences of different lease tokens on one
 * tenant must not both have forwarded Helm's bytes in overlapping windows. A Helm process alive
 * beside another (a thawed worker's) is no violation if nothing it sent got through.
 */
export function overlappingWindows(windows: FenceWindow[]): string[] {
  const byTenant = new Map<string, Array<FenceWindow & { forwardedFrom: number; forwardedUntil: number }>>();
  for (const w of windows) {
    if (w.forwardedFrom === undefined || w.forwardedUntil === undefined) continue;
    byTenant.set(w.tenantId, [...(byTenant.get(w.tenantId) ?? []), { ...w, forwardedFrom: w.forwardedFrom, forwardedUntil: w.forwardedUntil }]);
  }
  const overlaps: string[] = [];
  for (const [tenantId, list] of byTenant) {
    list.sort((a, b) => a.forwardedFrom - b.forwardedFrom);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length && list[j]!.forwardedFrom <= list[i]!.forwardedUntil; j++) {
        const [a, b] = [list[i]!, list[j]!];
        if (a.leaseToken === b.leaseToken) continue;
        const span = (w: FenceWindow) => `token ${w.leaseToken} (job ${w.jobId}, ${w.worker}) forwarded ${w.forwardedFrom}..${w.forwardedUntil}`;
        overlaps.push(`${tenantId}: ${span(a)} and ${span(b)}: ${Math.min(a.forwardedUntil, b.forwardedUntil) - b.forwardedFrom} ms at once`);
      }
    }
  }
  return overlaps;
}
