import type { TenantRecord } from '../domain/tenant-record.ts';

export const TENANT_PHASES = ['provisioning', 'ready', 'degraded', 'hibernated', 'closed', 'deprovisioning', 'failed'] as const;
export type TenantPhase = (typeof TENANT_PHASES)[number];

type PhaseInput = Pick<TenantRecord, 'terminating' | 'operation' | 'desired'>;

const isRemoval = (type: string | undefined) => type === 'deprovision' || type === 'purge';

/**
 * A tenant's phase from what it was asked to be (its operation marker and desired state) and, when
 * known, whether its components are ready. First rule that applies wins: removal beats everything
 * (a completed deprovision of a closed account is over: it is `closed`), a failure is reported until
 * another operation replaces it, a closed account is closed, and readiness only matters once no
 * provision is pending.
 */
export function deriveTenantPhase(tenant: PhaseInput, componentsReady: boolean): TenantPhase {
  const operation = tenant.operation;
  const removing = isRemoval(operation?.type) && operation?.state !== 'failed';
  // A completed close is over: the account is closed, kept for its window.
  const closeDone = tenant.desired.closed !== undefined && operation?.state === 'completed';
  if (tenant.terminating || (removing && !closeDone)) return 'deprovisioning';
  if (operation?.state === 'failed') return 'failed';
  if (tenant.desired.closed) return 'closed';
  if (operation?.type === 'provision' && operation.state !== 'completed') return 'provisioning';
  if (tenant.desired.hibernated) return 'hibernated';
  return componentsReady ? 'ready' : 'degraded';
}

/**
 * The phase a listing shows without reading each tenant's workloads (so listing a thousand tenants
 * stays one API call per page): a tenant whose last operation succeeded is reported `ready`.
 */
export function nominalTenantPhase(tenant: PhaseInput): TenantPhase {
  return deriveTenantPhase(tenant, true);
}
