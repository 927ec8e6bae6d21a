import type { Config } from '../config/config.schema.ts';
import { buildChartValues, serializeChartValues, type ChartValues } from '../domain/chart-values.ts';
import type { DesiredState } from '../domain/tenant-record.ts';

export type TenantFacts = { tenantId: string; companyName: string; expiresAt: string | null };

/** Values for one tenant in its desired state: the same builder the chart tests render through. */
export function tenantChartValues(config: Config, tenant: TenantFacts, desired: DesiredState): { values: ChartValues; yaml: string } {
  const values = buildChartValues({
    // The platform section of the configuration is the chart's platform input as it stands.
    platform: config.platform,
    tierName: desired.tier,
    tierLimits: config.tiers[desired.tier],
    tenant: {
      tenantId: tenant.tenantId,
      companyName: tenant.companyName,
      customDomain: desired.customDomain,
      expiresAt: tenant.expiresAt,
      hibernated: desired.hibernated,
      resourceOverrides: desired.resourceOverrides,
    },
  });
  return { values, yaml: serializeChartValues(values) };
}
