/**
 * The soak's clock, shared by the fleet's configuration, the faults and the checks: a paused
 * worker must outlast the tenant lease, and an expired tenant is hibernated within a sweep and
 * removed a grace period later, well inside the settle phase.
 */
export const SOAK_TIMINGS = {
  leaseTtlMs: 3_000,
  /** How long a paused worker stays stopped: past its lease, so another worker may take the tenant. */
  pauseMs: 6_000,
  expirySweepSeconds: 5,
  expiryGraceSeconds: 20,
  /** How long a closed account of CLOSING_TIER is kept before the sweep purges it: some purges fall in the drive, some in the settle. */
  closedWindowSeconds: 90,
} as const;

/** The other tenant-chart version the fleet can install (packaged beside the sandbox); rollouts move tenants between it and the configured one. */
export const SOAK_CHART_VERSION = '9.0.0-soak';

/** The soak's tier whose removal closes the account for SOAK_TIMINGS.closedWindowSeconds (fleet.ts); the others purge at once. */
export const CLOSING_TIER = 'enterprise';
