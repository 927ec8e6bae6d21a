import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * Readiness waits for files that deploy a `bad` release on purpose: short, so the bad slot fails
 * within the test, yet long enough for a healthy one on a loaded shared control plane (another
 * file's fleet rollout queued in the deployment controller). 12 s failed a healthy provision in CI.
 */
export const BAD_RELEASE_WAITS = { waitForApi: 30, waitForWeb: 30 };

/**
 * Timings that let a test see a killed worker's job taken again within seconds: BullMQ's lock and
 * stalled check, the tenant lease and the retry backoff, all far below their production values.
 */
export const FAST_LIFECYCLE = {
  helm: { killGraceSeconds: 10 },
  queue: {
    attempts: 3,
    backoff: { type: 'fixed', delaySeconds: 1 },
    lockDurationMs: 2_000,
    stalledIntervalMs: 1_000,
    maxStalledCount: 20,
    tenantLease: { ttlMs: 2_000, retryMs: 300 },
    shutdown: { drainSeconds: 5, exitSeconds: 20 },
  },
  provisioning: {
    expiry: { sweepSeconds: 3_600, policy: 'none', deprovisionAfterSeconds: 0 },
    reconcile: { sweepSeconds: 3_600, lostIntentAfterSeconds: 2, stuckAfterSeconds: 30 },
  },
};

/** Writes a config override file (CONFIG_FILE) that a test and the worker processes it spawns share. */
export function writeConfigOverride(tree: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tp-config-')), 'override.yaml');
  writeFileSync(file, stringify(tree));
  return file;
}

/** Deep merge for override trees (objects merge, everything else replaces). */
export function mergeOverride<T extends Record<string, unknown>>(base: T, extra: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const bothObjects = current && typeof current === 'object' && !Array.isArray(current) && value && typeof value === 'object' && !Array.isArray(value);
    out[key] = bothObjects ? mergeOverride(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out as T;
}

/**
 * Namespace and release prefixes of a test's own: the sweeps act only on their installation's
 * namespaces, so a test running them never touches tenants of tests running beside it.
 */
export function ownPrefixes(tag: string) {
  const prefix = `${tag}${Math.random().toString(16).slice(2, 6)}-`;
  return { platform: { namespacePrefix: prefix, releasePrefix: prefix } };
}
