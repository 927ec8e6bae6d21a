import type { TenantRecord } from '../../domain/tenant-record.ts';
import { onTarget, recordedTarget, UNKNOWN, versionOf, type FleetTarget, type TenantVersion } from '../../domain/tenant-version.ts';

/** A tenant not on its recorded target: its pin's, the release its desired state names, or the configured version. */
export type VersionDrift = { tenantId: string; running: TenantVersion; target: FleetTarget; pinned: boolean };

/** What a sweep reports of versions; `tenants` lists the first drifted ones (the counts are complete). */
export type VersionDriftReport = { drifted: number; unknown: number; tenants: VersionDrift[] };

/** A report stays a small job result however large the fleet; the counts and the gauge say how many. */
export const LISTED_DRIFT = 50;

/**
 * Pure: compares what a tenant's namespace records it runs with what it should run. A tenant with
 * no recorded version (deployed before versions were recorded) is unknown, not drifted: nothing says
 * it is off target, and its next deploy records it.
 */
export function versionDrift(
  tenant: Pick<TenantRecord, 'tenantId' | 'running' | 'pin' | 'desired'>,
  configured: FleetTarget,
): VersionDrift | 'unknown' | undefined {
  const running = versionOf(tenant.running);
  if (running.chart === UNKNOWN && running.app === UNKNOWN) return 'unknown';
  const target = recordedTarget(configured, tenant);
  return onTarget(running, target) ? undefined : { tenantId: tenant.tenantId, running, target, pinned: Boolean(tenant.pin) };
}

export function emptyDriftReport(): VersionDriftReport {
  return { drifted: 0, unknown: 0, tenants: [] };
}

/** Adds one tenant's verdict to the sweep's report. */
export function countDrift(report: VersionDriftReport, verdict: ReturnType<typeof versionDrift>): void {
  if (verdict === undefined) return;
  if (verdict === 'unknown') {
    report.unknown++;
    return;
  }
  report.drifted++;
  if (report.tenants.length < LISTED_DRIFT) report.tenants.push(verdict);
}
