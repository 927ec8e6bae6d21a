import { z } from '@hono/zod-openapi';
import type { TenantRecord } from '../domain/tenant-record.ts';
import { TIER_NAMES, TierName } from '../domain/tiers.ts';
import { onTarget, recordedTarget, TenantVersion, versionOf, VersionPin, type FleetTarget } from '../domain/tenant-version.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';

const TierCounts = z.record(TierName, z.int()).openapi({ example: { demo: 0, free: 3, professional: 5, enterprise: 1 } });

/** One version of the fleet: how many tenants run it, by tier, and how many of those are pinned. */
export const FleetVersion = z
  .object({
    version: TenantVersion,
    tenants: z.int(),
    pinned: z.int().openapi({ description: 'Of these tenants, how many are pinned (to this version or another)' }),
    byTier: TierCounts,
    onTarget: z.boolean().openapi({ description: 'This is the configured target version' }),
  })
  .openapi('FleetVersion');

export const PinnedTenant = z
  .object({ tenantId: z.string(), tier: TierName, running: TenantVersion, pin: VersionPin, labels: z.record(z.string(), z.string()) })
  .openapi('PinnedTenant');

/** What `GET /api/fleet` answers: the service returns this schema's type and the route documents it. */
export const FleetVersions = z
  .object({
    target: z
      .object({ chart: z.string().nullable(), app: z.string() })
      .openapi({ description: 'The configured version: chart (null when the configured chart names no version the service can read) and app' }),
    tenants: z.int(),
    onTarget: z.int().openapi({
      description: "Tenants running their recorded target: their pin's, else the release their last update or rollout named, else the configured version",
    }),
    versions: z.array(FleetVersion).openapi({ description: 'Most tenants first; a tenant with no recorded version counts under chart and app "unknown"' }),
    pinned: z.array(PinnedTenant),
  })
  .openapi('FleetVersions');
export type FleetVersions = z.infer<typeof FleetVersions>;

const zeroTiers = () => Object.fromEntries(TIER_NAMES.map((tier) => [tier, 0])) as Record<TierName, number>;
const keyOf = (v: TenantVersion) => JSON.stringify([v.chart, v.app]);

/**
 * The fleet's version skew from the tenants' own records (running version and pin, on each
 * namespace), so it costs one paged list whatever the fleet's size and no request per tenant.
 * Tenants being removed are left out: they are leaving the fleet, not running a version of it.
 */
export async function fleetVersions(tenants: Pick<TenantStore, 'all'>, target: FleetTarget): Promise<FleetVersions> {
  const versions = new Map<string, z.infer<typeof FleetVersion>>();
  const pinned: FleetVersions['pinned'] = [];
  let total = 0;
  let settled = 0;
  for await (const tenant of tenants.all()) {
    if (tenant.terminating) continue;
    total++;
    const version = versionOf(tenant.running);
    const row = versions.get(keyOf(version)) ?? { version, tenants: 0, pinned: 0, byTier: zeroTiers(), onTarget: onTarget(version, target) };
    versions.set(keyOf(version), row);
    row.tenants++;
    row.byTier[tenant.tier]++;
    if (onTarget(version, recordedTarget(target, tenant))) settled++;
    if (tenant.pin) {
      row.pinned++;
      pinned.push(pinnedTenant(tenant, tenant.pin));
    }
  }
  return {
    target,
    tenants: total,
    onTarget: settled,
    versions: [...versions.values()].sort((a, b) => b.tenants - a.tenants || keyOf(a.version).localeCompare(keyOf(b.version))),
    pinned: pinned.sort((a, b) => a.tenantId.localeCompare(b.tenantId)),
  };
}

function pinnedTenant(tenant: TenantRecord, pin: VersionPin) {
  return { tenantId: tenant.tenantId, tier: tenant.tier, running: versionOf(tenant.running), pin, labels: tenant.labels ?? {} };
}
