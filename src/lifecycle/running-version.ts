import type { ChartValues } from '../domain/chart-values.ts';
import { FIRST_DATABASE, type DatabaseSpec } from '../domain/database-generation.ts';
import { fingerprintOf } from '../domain/fingerprint.ts';
import type { DesiredState } from '../domain/tenant-record.ts';
import { appVersionOf, imageReference, valuesHash, type RunningVersion } from '../domain/tenant-version.ts';
import type { HelmRelease } from '../helm/helm-client.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import { changeIntent } from './change-intent.ts';

/**
 * What a deploy applied: the desired state it read, the values rendered from it and the database
 * the application was pointed at (absent: the desired state's, as outside a restore).
 */
export type AppliedState = { desired: DesiredState; values: Pick<ChartValues, 'images' | 'activeSlot'>; yaml: string; database?: DatabaseSpec };

/** The fingerprint of a desired state, as the running record keeps it. */
export const desiredHashOf = (desired: DesiredState) => fingerprintOf(desired);

/**
 * What a successful `helm upgrade --install` deployed: the chart from Helm's own answer (what it
 * installed, not what the configuration names), the active slot's images, the slot the Services
 * select, the hash of the values it was given and the fingerprint of the desired state they came from.
 */
export function runningVersionOf(release: HelmRelease, applied: AppliedState, at: Date): RunningVersion {
  const { values, yaml: valuesYaml } = applied;
  const { images } = values;
  return {
    chart: { name: release.chart?.name ?? 'unknown', version: release.chart?.version ?? 'unknown' },
    app: appVersionOf(images),
    images: Object.fromEntries(Object.entries(images).map(([component, image]) => [component, imageReference(image)])),
    valuesHash: valuesHash(valuesYaml),
    revision: release.revision,
    slot: values.activeSlot,
    desiredHash: desiredHashOf(applied.desired),
    database: applied.database ?? applied.desired.database ?? FIRST_DATABASE,
    at: at.toISOString(),
  };
}

/**
 * What runs after a rollback changed the Services' selectors with no Helm call: the release's chart
 * and revision as recorded, the rolled-back-to slot's images and the values the desired state now
 * renders (the next upgrade applies exactly those).
 */
export function switchedRunningVersion(running: RunningVersion, applied: AppliedState, at: Date): RunningVersion {
  const release = { chart: { name: running.chart.name, version: running.chart.version }, revision: running.revision } as HelmRelease;
  return runningVersionOf(release, applied, at);
}

/**
 * Records what the job deployed on the tenant's namespace, conditioned like every other write on it.
 * Only the holder of the tenant's lease deploys, but the lease is checked between steps: a job that
 * deployed, paused past its lease and recorded late must not write over the newer holder's record.
 * Such a record has both an older revision and an earlier time than the one recorded; a release
 * installed anew (revisions from 1 again, after an uninstall) has a later time and is written.
 * Resolves whether it was written; a tenant gone meanwhile is not an error.
 */
export async function recordRunningVersion(tenants: Pick<TenantStore, 'read' | 'write'>, tenantId: string, running: RunningVersion): Promise<boolean> {
  const outcome = await changeIntent(tenants, tenantId, (tenant) => {
    const recorded = tenant.running;
    if (recorded && recorded.revision > running.revision && Date.parse(recorded.at) > Date.parse(running.at)) return { result: false };
    return { change: { running }, result: true };
  });
  return outcome?.result ?? false;
}
