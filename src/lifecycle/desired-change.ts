import type { Config } from '../config/config.schema.ts';
import type { FieldError } from '../domain/field-error.ts';
import type { UpdateRequest } from '../domain/provision-request.ts';
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
export function planUpdate(config: Pick<Config, 'tiers'>, tenant: Pick<TenantRecord, 'desired' | 'expiresAt'>, change: UpdateRequest): PlannedUpdate {
  const current = tenant.desired;
  const desired: DesiredState = {
    tier: change.subscriptionTier ?? current.tier,
    customDomain: change.customDomain === undefined ? current.customDomain : change.customDomain,
    resourceOverrides: change.resourceOverrides ?? current.resourceOverrides,
    hibernated: current.hibernated,
  };
  const refusals: FieldError[] = [];
  const trial = config.tiers[desired.tier].expiresAfterDays !== null;
  if (desired.tier !== current.tier && trial) {
    refusals.push({ path: 'subscriptionTier', message: `cannot move a ${current.tier} tenant into the trial tier ${desired.tier}` });
  }
  return { desired, expiresAt: trial ? tenant.expiresAt : null, refusals };
}

export function sameDesired(a: DesiredState, b: DesiredState): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

// Key order must not make two equal states look different.
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
