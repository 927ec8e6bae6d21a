import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { buildChartValues, type ChartPlatformSettings, type ChartValues, type ChartValuesInput } from '../../src/domain/chart-values.ts';
import { TIER_NAMES, TiersConfig, type TierName } from '../../src/domain/tiers.ts';

export { TIER_NAMES };

/** The tier numbers exactly as the service reads them: config/default.yaml, validated. */
export async function loadTiers(): Promise<TiersConfig> {
  const text = await readFile(resolve(import.meta.dirname, '../../config/default.yaml'), 'utf8');
  return TiersConfig.parse((parse(text) as { tiers: unknown }).tiers);
}

/** A platform like production's, with backups configured so every tier can render. */
export const TEST_PLATFORM = {
  baseDomain: 'mechanicbuddy.app',
  clusterIssuer: 'letsencrypt-prod',
  images: {
    api: { repository: 'ghcr.io/mechanicbuddy/api', tag: '1.4.2' },
    web: { repository: 'ghcr.io/mechanicbuddy/web', tag: '1.4.2' },
    migrations: { repository: 'ghcr.io/mechanicbuddy/dbup', tag: '1.4.2' },
    postgres: { repository: 'ghcr.io/cloudnative-pg/postgresql', tag: '17.5' },
  },
  backup: { destinationPrefix: 's3://tenant-backups/tenants', endpointUrl: 'https://s3.eu-central-1.example.com' },
} as const satisfies ChartPlatformSettings;

/** Chart values for one tier, built by the same function the worker calls. */
export function valuesForTier(tiers: TiersConfig, tier: TierName, tenant: Partial<ChartValuesInput['tenant']> = {}): ChartValues {
  return buildChartValues({
    platform: TEST_PLATFORM,
    tierName: tier,
    tierLimits: tiers[tier],
    tenant: { tenantId: `acme-${tier}`, companyName: 'Acme Auto', expiresAt: null, ...tenant },
  });
}
