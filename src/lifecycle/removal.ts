import type { StoreAccounts } from '../backup/store-accounts.ts';
import type { Config } from '../config/config.schema.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import type { DomainClaims } from '../kubernetes/domain-claims.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import { lastDeployedRevision, rollBackToLastDeployed } from './release-recovery.ts';
import { expiryStillDemands } from './expiry.ts';
import { recordMarker } from './markers.ts';
import { windowPassed } from './offboarding.ts';
import type { TenantRef } from './tenant-ref.ts';
import { isPending } from './transitions.ts';

/**
 * The only code that uninstalls a tenant's release or deletes its namespace (and with it the
 * database, its volumes and the Secrets). It does so in exactly two cases, each decided again on
 * the tenant as it is right before every destructive call, by a job that holds the tenant's lease:
 * - a deprovision whose intent is still current (the marker names this very removal, and an expiry
 *   removal's expiry still demands it);
 * - the compensation of a provision whose release never reached `deployed`.
 */
export type RemovalDeps = {
  config: Config;
  tenants: Pick<TenantStore, 'read' | 'write' | 'delete'>;
  helm: HelmClient;
  claims?: Pick<DomainClaims, 'release'> | undefined;
  /** Per-tenant store accounts: a removed tenant's goes before its namespace (whose Secret names it). */
  storeAccounts?: Pick<StoreAccounts, 'remove'> | undefined;
  now?: () => Date;
};

/** Gives up the custom domains a removed tenant held, so another tenant may use them. */
export async function releaseDomains(deps: Pick<RemovalDeps, 'claims'>, tenant: Pick<TenantRecord, 'tenantId' | 'customDomain' | 'desired'>): Promise<void> {
  const hosts = new Set([tenant.customDomain, tenant.desired.customDomain].filter((h): h is string => !!h));
  for (const host of hosts) await deps.claims?.release(host, tenant.tenantId);
}

/**
 * Why removal job `jobId` (a deprovision closing with a window of 0, or a purge) may not remove
 * `tenant` now; undefined when it may.
 */
export function removalVeto(config: Config, tenant: TenantRecord, jobId: string, now: Date): string | undefined {
  if (tenant.terminating) return undefined;
  const m = tenant.operation;
  if (!m || (m.type !== 'deprovision' && m.type !== 'purge') || m.jobId !== jobId || !isPending(m)) {
    return `the tenant's intent is no longer this removal (its marker names ${m ? `${m.type} job ${m.jobId}, ${m.state}` : 'no job'})`;
  }
  if (m.reason === 'expiry' && !expiryStillDemands(config, tenant, 'deprovision', now)) {
    return `the tenant no longer qualifies for removal by expiry (expires at ${tenant.expiresAt ?? 'never'})`;
  }
  const closed = tenant.desired.closed;
  if (m.reason === 'retention' && !windowPassed(closed, now)) {
    return `the tenant is no longer a closed account past its retention window (${closed ? `kept until ${closed.purgeAfter}` : 'it was reopened'})`;
  }
  return undefined;
}

/** Thrown when a destructive call is refused: the job stops before it changes anything. */
class RemovalRefusedError extends Error {
  constructor(tenantId: string, why: string) {
    super(`tenant ${tenantId} kept: ${why}`);
    this.name = 'RemovalRefusedError';
  }
}

/** The tenant's version this removal was confirmed at, or undefined when it is already gone. */
async function confirmRemoval(deps: RemovalDeps, ref: TenantRef, jobId: string): Promise<string | undefined> {
  const current = await deps.tenants.read(ref.tenantId);
  if (!current) return undefined;
  const veto = removalVeto(deps.config, current.tenant, jobId, deps.now?.() ?? new Date());
  if (veto) throw new RemovalRefusedError(ref.tenantId, veto);
  return current.resourceVersion;
}

/** Deprovision's uninstall: only while this removal is still the tenant's intent. */
export async function uninstallForRemoval(deps: RemovalDeps, ref: TenantRef, jobId: string, signal: AbortSignal): Promise<boolean> {
  if ((await confirmRemoval(deps, ref, jobId)) === undefined) return false;
  await deps.helm.uninstall(ref.release, ref.namespace, signal);
  return true;
}

/** Deprovision's namespace deletion: only while this removal is still the tenant's intent. */
export async function deleteForRemoval(deps: RemovalDeps, ref: TenantRef, jobId: string): Promise<'deleting' | 'absent'> {
  const resourceVersion = await confirmRemoval(deps, ref, jobId);
  if (resourceVersion === undefined) return 'absent';
  // Revoked first: once the namespace is gone nothing says the tenant had an account. A removal
  // refused after this leaves a tenant without its account until its next operation makes it again.
  await deps.storeAccounts?.remove(ref);
  // Conditioned on the version the removal was confirmed at; a change since is decided on again.
  const outcome = await deps.tenants.delete(ref.tenantId, { resourceVersion });
  if (outcome === 'changed') {
    if ((await confirmRemoval(deps, ref, jobId)) === undefined) return 'absent';
    throw new RemovalRefusedError(ref.tenantId, 'it changed while its removal was being confirmed; the job will decide again');
  }
  return outcome;
}

/**
 * Undoes a provision that will not be retried. Removes the tenant only when the provision never
 * deployed: a release that ever reached `deployed` may hold a customer's data (a completed
 * provision run again, or one whose last history write failed), so it is rolled back to its last
 * deployed revision, never uninstalled. Returns what was done, for the job's log.
 */
export async function compensateProvision(
  deps: RemovalDeps,
  ref: TenantRef,
  jobId: string,
  failure: { step: string; message: string },
  signal: AbortSignal,
): Promise<string> {
  const current = (await deps.tenants.read(ref.tenantId))?.tenant;
  if (!current) return 'nothing left to undo';
  const marker = current.operation;
  if (marker?.jobId !== jobId) return `kept: job ${marker?.jobId ?? 'none'} now owns the tenant`;
  const failed = { type: 'provision' as const, jobId, state: 'failed' as const, at: new Date().toISOString(), ...failure };
  if (marker.state === 'completed') {
    const rolled = await rollBackToLastDeployed(deps.helm, ref.release, ref.namespace, signal);
    return `kept: this provision completed before, the tenant is live${rolled ? `; ${rolled}` : ''}`;
  }
  const history = await deps.helm.history(ref.release, ref.namespace, signal);
  const deployed = lastDeployedRevision(history);
  if (deployed !== undefined) {
    const rolled = await rollBackToLastDeployed(deps.helm, ref.release, ref.namespace, signal);
    await recordMarker(deps.tenants, ref.tenantId, failed);
    return `kept: release ${ref.release} reached deployed at revision ${deployed}${rolled ? `; ${rolled}` : ''}`;
  }
  if (deps.config.provisioning.keepFailedForInspection) {
    await recordMarker(deps.tenants, ref.tenantId, failed);
    return 'kept for inspection';
  }
  // Decided again right before each call: a request accepted meanwhile owns the tenant now.
  const stillOurs = async () => {
    const now = await deps.tenants.read(ref.tenantId);
    return now?.tenant.operation?.jobId === jobId ? now.resourceVersion : undefined;
  };
  if ((await stillOurs()) === undefined) return 'kept: another request took the tenant over';
  await deps.helm.uninstall(ref.release, ref.namespace, signal);
  await deps.storeAccounts?.remove(ref, signal);
  const resourceVersion = await stillOurs();
  if (resourceVersion === undefined || (await deps.tenants.delete(ref.tenantId, { resourceVersion })) === 'changed') {
    return 'release uninstalled; namespace kept: another request took the tenant over';
  }
  await releaseDomains(deps, current);
  return 'release uninstalled and namespace deleted (it never deployed)';
}
