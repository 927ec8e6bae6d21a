import type { Config } from '../config/config.schema.ts';
import { buildChartValues, serializeChartValues, type ChartValues } from '../domain/chart-values.ts';
import { FIRST_SLOT, type Slot, type StackImages } from '../domain/slots.ts';
import { servingDatabase, type DatabaseSpec } from '../domain/database-generation.ts';
import type { DesiredState } from '../domain/tenant-record.ts';
import type { RunningVersion } from '../domain/tenant-version.ts';

/** `running`: what the last deploy recorded, when the caller has it; it names the database the application uses. */
export type TenantFacts = { tenantId: string; companyName: string; expiresAt: string | null; running?: Pick<RunningVersion, 'database'> | null | undefined };

/** The database the application uses, and another rendered beside it while a restore moves between the two. */
export type DatabaseLayout = { serving: DatabaseSpec; alongside: DatabaseSpec | null };

/**
 * Which slot the Services select and what each running slot runs. `images` null: the platform's
 * images; `inactive` null: the other slot is scaled away (no window, nothing being staged).
 */
export type SlotLayout = { active: Slot; images: StackImages | null; inactive: StackImages | null };

/** The layout the desired state asks for once converged: its slot, its images, and the previous slot during a window. */
export function settledLayout(desired: DesiredState): SlotLayout {
  return { active: desired.slot ?? FIRST_SLOT, images: desired.images ?? null, inactive: desired.previous?.images ?? null };
}

/** Values for one tenant in its desired state: the same builder the chart tests render through. */
export function tenantChartValues(
  config: Config,
  tenant: TenantFacts,
  desired: DesiredState,
  layout: SlotLayout = settledLayout(desired),
  // Outside a restore, only the database the application uses: a pending restore's is the restore job's to stage.
  databases: DatabaseLayout = { serving: servingDatabase({ desired, running: tenant.running }), alongside: null },
): { values: ChartValues; yaml: string } {
  const build = (inactiveSlot: ChartValues['inactiveSlot']) =>
    buildChartValues({
      // The platform section of the configuration is the chart's platform input as it stands, plus
      // whether the staged slot must be reachable by a smoke check.
      platform: { ...config.platform, smokeCheck: config.provisioning.blueGreen.smokeCheck !== null },
      tierName: desired.tier,
      tierLimits: config.tiers[desired.tier],
      tenant: {
        tenantId: tenant.tenantId,
        companyName: tenant.companyName,
        customDomain: desired.customDomain,
        expiresAt: tenant.expiresAt,
        hibernated: desired.hibernated,
        closed: desired.closed !== undefined,
        resourceOverrides: desired.resourceOverrides,
        postgresParameters: desired.postgresParameters,
        databases,
        images: layout.images,
        activeSlot: layout.active,
        inactiveSlot,
      },
    });
  let values = build(null);
  // The other slot runs as many replicas as the active one, so switching to it keeps the capacity.
  if (layout.inactive) values = build({ images: layout.inactive, replicas: { api: values.api.replicas, web: values.web.replicas } });
  return { values, yaml: serializeChartValues(values) };
}
