import { TenantNotFoundError } from '../domain/errors.ts';
import type { PinRequest, VersionPin } from '../domain/tenant-version.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import type { IntentChange } from '../kubernetes/tenant-store.ts';
import { changeIntent } from './change-intent.ts';
import type { IntakeDeps } from './intake.ts';
import { intakeVerdict, refusal } from './transitions.ts';

type PinDeps = Pick<IntakeDeps, 'tenants' | 'now'>;

/**
 * Pinning and unpinning are changes of intent like any other: decided on the tenant as it is, by the
 * intake's table (a tenant being removed accepts no pin, 409), and recorded in the same conditional
 * write as the decision. No job follows: a pin changes what rollouts may do, not what runs.
 * Resolves the tenant's pin afterwards (null once unpinned).
 */
async function changePin(deps: PinDeps, tenantId: string, decide: (tenant: TenantRecord) => VersionPin | null): Promise<VersionPin | null> {
  const outcome = await changeIntent(deps.tenants, tenantId, (tenant) => {
    if (intakeVerdict(tenant, 'pin') !== 'accept') throw refusal(tenant, 'pin');
    const current = tenant.pin ?? null;
    const next = decide(tenant);
    if (next === current) return { result: current };
    const change: IntentChange = { pin: next };
    return { change, result: next };
  });
  if (!outcome) throw new TenantNotFoundError(tenantId);
  return outcome.result;
}

/** Pins the tenant to `request.version`; asking again for the same version and reason keeps the first pin (who and when). */
export async function requestPin(deps: PinDeps, tenantId: string, request: PinRequest, pinnedBy: string): Promise<VersionPin> {
  const pinnedAt = (deps.now?.() ?? new Date()).toISOString();
  const pin = await changePin(deps, tenantId, (tenant) => {
    const current = tenant.pin;
    const same = current && current.reason === request.reason && current.version.chart === request.version.chart && current.version.app === request.version.app;
    return same ? current : { version: request.version, reason: request.reason, pinnedBy, pinnedAt };
  });
  return pin!;
}

/** Removes the tenant's pin; idempotent (a tenant without one is left as it is). */
export async function requestUnpin(deps: PinDeps, tenantId: string): Promise<void> {
  await changePin(deps, tenantId, () => null);
}
