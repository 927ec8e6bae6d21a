import semver from 'semver';
import type { RunningVersion } from '../domain/tenant-version.ts';

/**
 * What the tenant chart renders only from some version on: a close (`closed`, its ExternalName
 * Service and zero replicas) since 0.7.0, an export (its NetworkPolicy to the database and the store)
 * since 0.8.0. An older chart takes the values and renders nothing for them: a close would leave
 * the application serving, an export Job would be cut off by the default-deny policy.
 */
const SINCE = { close: '0.7.0', export: '0.8.0' } as const;
const WHAT: Record<keyof typeof SINCE, string> = { close: 'closing an account', export: 'an export' };
export type ChartFeature = keyof typeof SINCE;

/**
 * Why the tenant's running chart cannot do `feature` (update it first), or undefined. A tenant with
 * no running record, or a chart version that is not SemVer, is not judged on what is unknown.
 */
export function chartLacks(feature: ChartFeature, running: Pick<RunningVersion, 'chart'> | null | undefined): string | undefined {
  const version = semver.valid(running?.chart.version ?? null);
  if (!version || semver.gte(version, SINCE[feature])) return undefined;
  return `it runs tenant chart ${version}, and ${WHAT[feature]} needs ${SINCE[feature]} or later; update it to a newer chart first`;
}
