import type { Config } from '../config/config.schema.ts';
import { servingDatabase, type DatabaseSpec } from '../domain/database-generation.ts';
import { ChangeRejectedError } from '../domain/errors.ts';
import type { CloneFrom } from '../domain/provision-request.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import { resolveRecoveryTarget } from './recovery-target.ts';
import { tenantChartValues } from './tenant-values.ts';

export type CloneDeps = {
  config: Config;
  tenants: Pick<TenantStore, 'read'>;
  workloads: Pick<TenantWorkloads, 'listBackups'>;
};

/**
 * The first database of a clone: generation 1 bootstrapped from the source tenant's serving
 * database's archive. Decided at intake from what the source has now (its serving generation, its
 * completed backups) and recorded in the clone's desired state, so a retried job restores the same
 * thing. Only reads the source. Refusals are 422s under `cloneFrom`.
 */
export async function cloneDatabase(deps: CloneDeps, tenantId: string, cloneFrom: CloneFrom, now: Date): Promise<DatabaseSpec> {
  const refuse = (message: string) => new ChangeRejectedError(tenantId, [{ path: 'cloneFrom.tenantId', message }]);
  const source = (await deps.tenants.read(cloneFrom.tenantId))?.tenant;
  if (!source) throw refuse(`is no tenant (${cloneFrom.tenantId})`);
  if (source.terminating || source.operation?.type === 'deprovision') throw refuse(`is being removed (${cloneFrom.tenantId})`);
  if (!tenantChartValues(deps.config, source, source.desired).values.backup.enabled) {
    throw refuse(`is on tier ${source.desired.tier}, which has no backups to clone from`);
  }
  const { tenantId: _source, ...request } = cloneFrom;
  const target = await resolveRecoveryTarget(deps.workloads, source, request, now, tenantId, ['cloneFrom']);
  return { generation: 1, recovery: { fromTenant: source.tenantId, fromGeneration: servingDatabase(source).generation, target } };
}
