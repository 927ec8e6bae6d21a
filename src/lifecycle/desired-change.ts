import type { Config } from '../config/config.schema.ts';
import { fingerprintOf } from '../domain/fingerprint.ts';
import type { FieldError } from '../domain/field-error.ts';
import type { UpdateRequest } from '../domain/provision-request.ts';
import { FIRST_SLOT, imagesAtVersion, otherSlot, sameImages, stackImagesOf, type StackImages } from '../domain/slots.ts';
import type { DesiredState, TenantRecord } from '../domain/tenant-record.ts';

export type PlannedUpdate = { desired: DesiredState; expiresAt: string | null; refusals: FieldError[] };

/**
 * The desired state an update asks for, from the tenant as it is now. `customDomain: null` removes
 * the domain; `resourceOverrides` replaces the tenant's overrides (send `{}` to clear them);
 * hibernation is untouched (it has its own requests). Pure: the preflight checks the result.
 *
 * Expiry belongs to trial tiers: leaving one for a tier without expiry clears it in place (the
 * demo → paid upgrade), and moving into a trial tier is refused, because an expiry is stamped once
 * at provision and never recomputed.
 */
export function planUpdate(
  config: Pick<Config, 'tiers' | 'platform'>,
  tenant: Pick<TenantRecord, 'desired' | 'expiresAt' | 'running'>,
  change: UpdateRequest,
): PlannedUpdate {
  const current = tenant.desired;
  const desired: DesiredState = {
    tier: change.subscriptionTier ?? current.tier,
    customDomain: change.customDomain === undefined ? current.customDomain : change.customDomain,
    resourceOverrides: change.resourceOverrides ?? current.resourceOverrides,
    hibernated: current.hibernated,
    ...releaseOf(config.platform.images, tenant, change.appVersion, change.chartVersion),
    ...ownParameters(current.postgresParameters, change.postgresql?.parameters),
  };
  const refusals: FieldError[] = [];
  const trial = config.tiers[desired.tier].expiresAfterDays !== null;
  if (desired.tier !== current.tier && trial) {
    refusals.push({ path: 'subscriptionTier', message: `cannot move a ${current.tier} tenant into the trial tier ${desired.tier}` });
  }
  return { desired, expiresAt: trial ? tenant.expiresAt : null, refusals };
}

/** The tenant's own settings after an update: a value sets one, null removes it; none left, no field. */
function ownParameters(
  current: Readonly<Record<string, string>> | undefined,
  changes: Readonly<Record<string, string | null>> | undefined,
): Pick<DesiredState, 'postgresParameters'> {
  const next: Record<string, string> = { ...current };
  for (const [name, value] of Object.entries(changes ?? {})) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return Object.keys(next).length > 0 ? { postgresParameters: next } : {};
}

type Release = Pick<DesiredState, 'images' | 'slot' | 'previous' | 'chartVersion'>;

/**
 * The release part of the desired state after an update that may name an app version and a chart
 * version. A new app version for a tenant that runs (deployed, not hibernated) goes to the slot that
 * is not serving, with the serving one (and its chart) kept as `previous`, so the worker stages it
 * beside what serves and switches only once it is ready. A tenant with nothing serving just changes
 * images in place. While a switch is pending, another version re-targets the pending slot, and the
 * serving version cancels it (back on the serving chart unless one is named). A chart version
 * travels with the release; named alone it is an upgrade in place.
 */
function releaseOf(
  platformImages: StackImages,
  tenant: Pick<TenantRecord, 'desired' | 'running'>,
  appVersion: string | undefined,
  chartVersion: string | undefined,
): Release {
  const current = tenant.desired;
  const chart = chartVersion ?? current.chartVersion;
  const carried: Release = withoutUndefined({ images: current.images, slot: current.slot, previous: current.previous, chartVersion: chart });
  const currentImages = current.images ?? stackImagesOf(platformImages);
  if (appVersion === undefined) return carried;
  const images = imagesAtVersion(platformImages, appVersion);
  if (sameImages(images, currentImages)) return carried;
  if (!tenant.running || current.hibernated) return { ...carried, images };
  const serving = tenant.running.slot ?? FIRST_SLOT;
  const pending = current.slot ?? FIRST_SLOT;
  if (serving === pending) {
    const previous = withoutUndefined({ slot: serving, images: currentImages, chartVersion: current.chartVersion });
    return withoutUndefined({ images, slot: otherSlot(serving), previous, chartVersion: chart });
  }
  if (current.previous && sameImages(images, current.previous.images)) {
    return withoutUndefined({ images, slot: serving, chartVersion: chartVersion ?? current.previous.chartVersion });
  }
  return { ...carried, images };
}

const withoutUndefined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function sameDesired(a: DesiredState, b: DesiredState): boolean {
  // Key order must not make two equal states look different.
  return fingerprintOf(a) === fingerprintOf(b);
}
